// The TypeScript SDK (built to dist/) against the real server at MEMORY_MESH_URL.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import WebSocket from "ws";
import { Forbidden, MemoryMesh, NotFound, RateLimited, Unauthorized, ValidationFailed } from "memory-mesh";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const baseUrl = process.env.MEMORY_MESH_URL;
const password = "Ts-Pass-2026";

async function account() {
  const username = "ts_" + Math.random().toString(36).slice(2, 10);
  const tenant = "ts-" + Math.random().toString(36).slice(2, 10);
  const admin = new MemoryMesh({ baseUrl });
  await admin.register({ email: `${username}@example.com`, username, password, tenant_id: tenant });
  await admin.login(username, password);
  const write = (await admin.createApiKey({ name: "ts write", scope: "write" })).key;
  const read = (await admin.createApiKey({ name: "ts read", scope: "read" })).key;
  return { tenant, write, read };
}

test("the quickstart runs unchanged", async () => {
  assert.ok(baseUrl, "MEMORY_MESH_URL is set by scripts/e2e.sh");
  const { write } = await account();
  const { stdout } = await run(process.execPath, [join(root, "examples", "quickstart.mjs")],
    { env: { ...process.env, MEMORY_MESH_URL: baseUrl, MEMORY_MESH_API_KEY: write } });
  assert.match(stdout, /web scraper/);
  assert.match(stdout, /3 messages in chat-1/);
  assert.match(stdout, /not found: not_found: Message not found\./);
});

test("the types are the server's: src/schema.ts equals what openapi-typescript makes of it", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "mm-ts-")), "schema.ts");
  await run(join(root, "node_modules", ".bin", "openapi-typescript"), [`${baseUrl}/v1/openapi.json`, "-o", out]);
  assert.equal(readFileSync(out, "utf8"), readFileSync(join(root, "src", "schema.ts"), "utf8"),
    "src/schema.ts is stale: run `npm run generate` in sdk/typescript");
});

test("messages, pages, search and context", async () => {
  const { tenant, write } = await account();
  const mesh = new MemoryMesh({ baseUrl, apiKey: write });
  const stored = await mesh.addMessage({ conversation_id: "trip", role: "user", content: "Book the train to Porto", metadata: { topic: "travel" } });
  assert.equal(stored.tenant_id, tenant);
  assert.equal(stored.embedding_status, "completed");
  const batch = await mesh.addMessages([
    ...Array.from({ length: 6 }, (_, i) => ({ conversation_id: "long", role: "user", content: `note number ${i}` })),
    { conversation_id: "long", role: "tool", content: "not a role" },
  ]);
  assert.equal(batch.created.length, 6);
  assert.equal(batch.errors[0].index, 6);
  const contents = [];
  for await (const m of mesh.messages("long", { pageSize: 4 })) contents.push(m.content);
  assert.deepEqual(contents, Array.from({ length: 6 }, (_, i) => `note number ${i}`));
  const ids = [];
  for await (const c of mesh.conversations({ pageSize: 1 })) ids.push(c.id);
  assert.deepEqual(ids.sort(), ["long", "trip"]);
  const hits = (await mesh.search("train to Porto", { metadata: { topic: "travel" } })).items;
  assert.deepEqual(hits.map((h) => h.message_id), [stored.id]);
  const block = await mesh.context({ query: "when is the train?", conversation_id: "trip", max_tokens: 100 });
  assert.match(block.text, /Porto/);
  assert.ok(block.tokens <= 100);
  await mesh.deleteMessage(stored.id);
  await assert.rejects(mesh.getMessage(stored.id), NotFound);
});

test("errors are typed with the envelope's fields", async () => {
  const { read } = await account();
  const reader = new MemoryMesh({ baseUrl, apiKey: read });
  const refused = await reader.addMessage({ conversation_id: "c", role: "user", content: "no" }).catch((e) => e);
  assert.ok(refused instanceof Forbidden);
  assert.equal(refused.status, 403);
  assert.ok(refused.requestId);
  const invalid = await reader.search("x", { top_k: 0 }).catch((e) => e);
  assert.ok(invalid instanceof ValidationFailed);
  assert.equal(invalid.field, "top_k");
  await assert.rejects(new MemoryMesh({ baseUrl, apiKey: "mm_nope" }).search("x"), Unauthorized);
});

test("429 and 503 are retried as Retry-After says", async () => {
  const answers = [
    new Response(JSON.stringify({ error: { code: "rate_limited", message: "slow" } }), { status: 429, headers: { "retry-after": "0" } }),
    new Response(JSON.stringify({ error: { code: "unavailable", message: "db" } }), { status: 503 }),
    new Response(JSON.stringify({ total: 0, items: [] }), { status: 200 }),
  ];
  const seen = [];
  const fake = async (url, init) => { seen.push(init); return answers[seen.length - 1]; };
  const mesh = new MemoryMesh({ baseUrl: "http://mesh.test", apiKey: "mm_x", fetch: fake, backoffMs: 0 });
  assert.deepEqual((await mesh.search("x")).items, []);
  assert.equal(seen.length, 3);
  assert.equal(seen[0].headers["x-api-key"], "mm_x");
  const once = new MemoryMesh({ baseUrl: "http://mesh.test", maxRetries: 0,
    fetch: async () => new Response(JSON.stringify({ error: { code: "rate_limited", message: "slow" } }), { status: 429, headers: { "retry-after": "7" } }) });
  const limited = await once.search("x").catch((e) => e);
  assert.ok(limited instanceof RateLimited);
  assert.equal(limited.retryAfter, 7);
});

test("the live feed delivers, and resumes after the last event seen", async () => {
  const { tenant, read, write } = await account();
  const watcher = new MemoryMesh({ baseUrl, apiKey: read, tenantId: tenant, WebSocket });
  const writer = new MemoryMesh({ baseUrl, apiKey: write });
  const feed = watcher.live({ events: ["message.created"] });
  const first = feed.next();
  let arrived = null;
  first.then((r) => { arrived = r.value; });
  const written = [];
  while (!arrived) {
    written.push(await writer.addMessage({ conversation_id: "live", role: "user", content: `live ${written.length}` }));
    await Promise.race([first, new Promise((r) => setTimeout(r, 300))]);
  }
  assert.equal(arrived.event, "message.created");
  await feed.return();
  const later = [];
  for (let i = 0; i < 2; i++) later.push(await writer.addMessage({ conversation_id: "live", role: "user", content: `later ${i}` }));
  const got = [];
  for await (const e of watcher.live({ lastEventId: arrived.id, events: ["message.created"] })) {
    got.push(e.data.id);
    if (e.data.id === later[1].id) break;
  }
  const k = written.findIndex((m) => m.id === arrived.data.id);
  assert.deepEqual(got, [...written.slice(k + 1), ...later].map((m) => m.id), "exactly what came after");
  const bad = new MemoryMesh({ baseUrl, apiKey: "mm_wrong", tenantId: tenant, WebSocket });
  await assert.rejects(bad.live().next(), Unauthorized);
});
