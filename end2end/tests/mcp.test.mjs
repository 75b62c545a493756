// The MCP server as an agent uses it, through the official TypeScript client
// (@modelcontextprotocol/sdk): streamable HTTP at /mcp on the running server, and
// `memory-mesh mcp` over stdio — forwarded to the server that holds its data directory, and on
// its own store when no server does.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { base, login, rest } from "./support.mjs";

const binary = process.env.MEMORY_MESH_BIN;
const dataDir = process.env.MEMORY_MESH_DATA_DIR;
const password = "Agent-Pass-2026";
const tools = ["context", "forget", "get_conversation_messages", "get_message",
  "list_conversations", "recall", "remember"];
let writeKey, readKey, foreignId;
const clients = [];

async function register(url, username, tenant) {
  const response = await fetch(url + "/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `${username}@example.com`, username, password, tenant_id: tenant }),
  });
  assert.equal(response.status, 201, await response.text());
}

async function createKey(url, token, scope) {
  const response = await fetch(url + "/v1/auth/api-keys", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: `mcp ${scope}`, scope }),
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  return JSON.parse(text).key;
}

async function overHttp(key) {
  const client = new Client({ name: "memory-mesh-e2e", version: "1.0.0" });
  const headers = key ? { "x-api-key": key } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(base + "/mcp"), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

/** `memory-mesh mcp` on `dir`, as a desktop client starts it; `client.log()` is what it has
 * logged (on stderr: stdout carries the protocol). */
async function overStdio(dir, key) {
  const env = embedded(dir, { MEMORY_MCP_API_KEY: key });
  const transport = new StdioClientTransport({ command: binary, args: ["mcp"], env, stderr: "pipe" });
  let logged = "";
  transport.stderr.on("data", (chunk) => { logged += chunk; });
  const client = new Client({ name: "memory-mesh-e2e-stdio", version: "1.0.0" });
  await client.connect(transport);
  client.log = () => logged;
  clients.push(client);
  return client;
}

/** This environment with the embedded default on `dir` (no PostgreSQL, no Redis). */
function embedded(dir, extra) {
  const env = { ...process.env, MEMORY_DATA_DIR: dir, ...extra };
  delete env.MEMORY_DATABASE_URL;
  delete env.MEMORY_REDIS_URL;
  return env;
}

async function call(client, name, args) {
  return client.callTool({ name, arguments: args });
}

/** A tool's error: its code and field, as the REST envelope has them. */
function refusal(result) {
  assert.equal(result.isError, true, JSON.stringify(result));
  return result.structuredContent.error;
}

before(async () => {
  assert.ok(binary && dataDir, "MEMORY_MESH_BIN and MEMORY_MESH_DATA_DIR are set by scripts/e2e.sh");
  await register(base, "agent_owner", "agents");
  const token = await login("agent_owner", password);
  writeKey = await createKey(base, token, "write");
  readKey = await createKey(base, token, "read");
  await register(base, "stranger", "strangers");
  const strangerToken = await login("stranger", password);
  const stored = await rest("POST", "/v1/messages", strangerToken,
    { conversation_id: "secret", role: "user", content: "The stranger's own secret plan" });
  assert.equal(stored.status, 201);
  foreignId = stored.body.id;
});

after(async () => {
  for (const client of clients) await client.close().catch(() => {});
});

test("HTTP: every tool is listed with a description and a schema, and each works", async () => {
  const client = await overHttp(writeKey);
  const listed = (await client.listTools()).tools;
  assert.deepEqual(listed.map((t) => t.name).sort(), tools);
  for (const tool of listed) {
    assert.ok(tool.description.length > 40, `${tool.name} tells a model when to use it`);
    assert.equal(tool.inputSchema.type, "object");
  }
  const recallSchema = listed.find((t) => t.name === "recall").inputSchema;
  assert.deepEqual(recallSchema.required, ["query"]);

  const remembered = await call(client, "remember", {
    conversation_id: "trip",
    messages: [
      { role: "user", content: "I am planning a trip to Lisbon in May with my sister" },
      { role: "assistant", content: "Lisbon in May is lovely; I noted your sister comes too." },
    ],
  });
  assert.equal(remembered.isError, false, JSON.stringify(remembered));
  const stored = remembered.structuredContent.stored;
  assert.equal(stored.length, 2);
  assert.ok(stored.every((m) => m.conversation_id === "trip" && m.tenant_id === "agents"));

  const recalled = await call(client, "recall", { query: "Lisbon trip", top_k: 5 });
  assert.equal(recalled.isError, false);
  const hits = recalled.structuredContent.items;
  assert.ok(hits.length >= 1);
  assert.match(hits[0].content, /Lisbon/);
  assert.ok(hits.every((h) => typeof h.score === "number"));
  assert.ok(!hits.some((h) => h.message_id === foreignId), "another tenant's message is never recalled");

  const context = await call(client, "context", { query: "Where is the user travelling?", conversation_id: "trip", max_tokens: 200 });
  assert.equal(context.isError, false);
  assert.match(context.content[0].text, /Lisbon/);
  assert.equal(context.content[0].text, context.structuredContent.text);
  assert.ok(context.structuredContent.tokens <= 200);

  const conversations = await call(client, "list_conversations", {});
  assert.deepEqual(conversations.structuredContent.conversations.map((c) => c.id), ["trip"]);

  const page = await call(client, "get_conversation_messages", { conversation_id: "trip" });
  assert.deepEqual(page.structuredContent.messages.map((m) => m.id), stored.map((m) => m.id));

  const one = await call(client, "get_message", { message_id: stored[0].id });
  assert.equal(one.structuredContent.content, stored[0].content);

  const forgotten = await call(client, "forget", { message_id: stored[1].id });
  assert.equal(forgotten.isError, false);
  assert.equal(refusal(await call(client, "get_message", { message_id: stored[1].id })).code, "not_found");
  const rest404 = await rest("GET", `/v1/messages/${stored[1].id}`, await login("agent_owner", password));
  assert.equal(rest404.status, 404, "the REST API agrees the message is gone");
});

test("HTTP: a read key may recall but not remember or forget; foreign ids are not found", async () => {
  const reader = await overHttp(readKey);
  const recalled = await call(reader, "recall", { query: "Lisbon" });
  assert.equal(recalled.isError, false);
  const id = recalled.structuredContent.items[0].message_id;
  const refusedWrite = refusal(await call(reader, "remember",
    { conversation_id: "trip", messages: [{ role: "user", content: "A read key cannot store this" }] }));
  assert.equal(refusedWrite.code, "forbidden");
  assert.equal(refusal(await call(reader, "forget", { message_id: id })).code, "forbidden");
  assert.equal((await call(reader, "get_message", { message_id: id })).isError, false, "the message survived");

  const writer = await overHttp(writeKey);
  for (const [name, args] of [["get_message", { message_id: foreignId }], ["forget", { message_id: foreignId }],
    ["get_conversation_messages", { conversation_id: "secret" }]]) {
    assert.equal(refusal(await call(writer, name, args)).code, "not_found", name);
  }
  const invalid = refusal(await call(writer, "recall", { query: "Lisbon", top_k: 0 }));
  assert.equal(invalid.code, "validation_failed");
  assert.equal(invalid.field, "top_k");
});

test("HTTP: each recent conversation's latest turns are a resource; another tenant's are not found", async () => {
  const client = await overHttp(readKey);
  const templates = (await client.listResourceTemplates()).resourceTemplates;
  assert.deepEqual(templates.map((t) => t.uriTemplate), ["memory-mesh://conversations/{conversation_id}/recent"]);
  const listed = (await client.listResources()).resources;
  assert.deepEqual(listed.map((r) => r.uri), ["memory-mesh://conversations/trip/recent"]);
  const read = await client.readResource({ uri: listed[0].uri });
  assert.equal(read.contents.length, 1);
  const text = read.contents[0].text;
  assert.match(text, /^Recent turns of conversation trip:\n\[\d{4}-\d\d-\d\d \d\d:\d\d\] user: I am planning a trip to Lisbon in May with my sister$/m);
  assert.doesNotMatch(text, /noted your sister/, "a forgotten message is gone from the resource too");
  for (const uri of ["memory-mesh://conversations/secret/recent", "memory-mesh://conversations/nothing-here/recent",
    "memory-mesh://elsewhere"]) {
    await assert.rejects(client.readResource({ uri }), /no resource/, uri);
  }
});

test("HTTP: no credential, a bad one, or a cookie alone is refused before any tool runs", async () => {
  for (const headers of [{}, { "x-api-key": "mm_not_a_real_key" }]) {
    const response = await fetch(base + "/mcp", {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error.code, "unauthorized");
  }
  await assert.rejects(overHttp(null));
  // The dashboard's cookie, even from the server's own origin, is not a credential here.
  const session = await fetch(base + "/v1/auth/session", {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify({ username: "agent_owner", password }),
  });
  assert.equal(session.status, 204);
  const cookie = session.headers.get("set-cookie").split(";")[0];
  const withCookie = await fetch(base + "/mcp", {
    method: "POST",
    headers: { cookie, origin: base, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  assert.equal(withCookie.status, 401);
});

test("stdio: forwarded to the server that holds the data directory", async () => {
  const client = await overStdio(dataDir, writeKey);
  assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), tools);
  const recalled = await call(client, "recall", { query: "Lisbon" });
  assert.match(recalled.structuredContent.items[0].content, /Lisbon/, "it reads what HTTP stored");
  const remembered = await call(client, "remember",
    { conversation_id: "desk", messages: [{ role: "user", content: "My desk plant is a fern called Fred" }] });
  assert.equal(remembered.isError, false);
  const seen = await rest("GET", `/v1/messages/${remembered.structuredContent.stored[0].id}`,
    await login("agent_owner", password));
  assert.equal(seen.status, 200, "the serving instance stored it");
  assert.match(client.log(), /forwarding MCP to the instance serving this data directory/);
  assert.ok(!client.log().includes(writeKey), "the key is never logged");
  const reader = await overStdio(dataDir, readKey);
  assert.equal(refusal(await call(reader, "remember",
    { conversation_id: "desk", messages: [{ role: "user", content: "no" }] })).code, "forbidden");
  // A refused key is told at start, as on its own store, and never logged.
  const bad = spawn(binary, ["mcp"], { env: embedded(dataDir, { MEMORY_MCP_API_KEY: "mm_wrong_key" }) });
  let stderr = "";
  bad.stderr.on("data", (chunk) => { stderr += chunk; });
  const code = await new Promise((resolve) => bad.on("exit", resolve));
  assert.notEqual(code, 0);
  assert.match(stderr, /credential was refused by the server/);
  assert.ok(!stderr.includes("mm_wrong_key"));
});

test("stdio: on its own store when no server holds the data directory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-mcp-"));
  try {
    // A server creates the account and key, then stops (and withdraws its serving.json).
    const server = spawn(binary, ["serve"], {
      env: embedded(dir, { MEMORY_PORT: "0" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const url = await new Promise((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (chunk) => {
        out += chunk;
        const found = out.match(/running at (http:\/\/[0-9.:]+)/);
        if (found) resolve(found[1]);
      });
      server.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
    await register(url, "solo", "solo");
    const token = await (await fetch(url + "/v1/auth/login", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "solo", password }),
    })).json();
    const key = await createKey(url, token.access_token, "write");
    assert.ok(existsSync(join(dir, "serving.json")));
    const exited = new Promise((resolve) => server.on("exit", resolve));
    server.kill("SIGTERM");
    await exited;
    assert.ok(!existsSync(join(dir, "serving.json")), "a stopped server withdraws its announcement");

    const client = await overStdio(dir, key);
    assert.doesNotMatch(client.log(), /forwarding/);
    const remembered = await call(client, "remember",
      { conversation_id: "notes", messages: [{ role: "user", content: "The boiler service is due in October" }] });
    assert.equal(remembered.isError, false, JSON.stringify(remembered));
    assert.equal(remembered.structuredContent.stored[0].embedding_status, "completed", "embedded inline");
    const recalled = await call(client, "recall", { query: "when is the boiler service" });
    assert.match(recalled.structuredContent.items[0].content, /boiler/);
    await client.close();
    const bad = spawn(binary, ["mcp"], {
      env: embedded(dir, { MEMORY_MCP_API_KEY: "mm_wrong_key" }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    bad.stderr.on("data", (chunk) => { stderr += chunk; });
    const code = await new Promise((resolve) => bad.on("exit", resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /credential was refused/);
    assert.ok(!stderr.includes("mm_wrong_key"), "the key is never logged");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
