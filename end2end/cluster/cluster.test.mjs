// The production topology with local processes (scripts/cluster.sh test): two instances on one
// PostgreSQL and Redis behind Caddy with deploy/caddy/Caddyfile. Run by scripts/test.sh.
import { test } from "node:test";
import assert from "node:assert/strict";

const proxy = process.env.BASE_URL;
const instances = [process.env.INSTANCE_1, process.env.INSTANCE_2];

async function call(base, method, path, token, body) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, json, text };
}

// How many 200 answers to `GET /v1/auth/me` an instance's own metrics count.
async function meServed(base) {
  const r = await call(base, "GET", "/metrics");
  assert.equal(r.status, 200);
  let n = 0;
  for (const line of r.text.split("\n")) {
    if (
      line.startsWith("memory_mesh_http_requests_total{") &&
      line.includes('route="/v1/auth/me"') &&
      line.includes('method="GET"') &&
      line.includes('status="200"')
    ) {
      n += Number(line.split(" ").pop());
    }
  }
  return n;
}

// Opens the live feed at `base` and resolves once it is authenticated; `next(pred)` waits for a
// frame that matches.
function feed(base, tenant, token) {
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/v1/ws/messages/${tenant}`);
  const frames = [];
  const waiting = [];
  ws.onmessage = (m) => {
    const frame = JSON.parse(m.data);
    frames.push(frame);
    for (const w of [...waiting]) {
      if (w.pred(frame)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  };
  const next = (pred) =>
    new Promise((resolve, reject) => {
      const found = frames.find(pred);
      if (found) return resolve(found);
      waiting.push({ pred, resolve });
      ws.addEventListener("close", (e) => reject(new Error(`closed ${e.code} ${e.reason}`)));
    });
  return new Promise((resolve, reject) => {
    ws.onerror = () => reject(new Error("the feed did not open"));
    ws.onopen = () => ws.send(JSON.stringify({ action: "auth", token }));
    next((f) => f.type === "authenticated").then(() => resolve({ ws, next }), reject);
  });
}

let token;
let tenant;

test("the proxy answers readiness with the database and Redis up", async () => {
  const r = await call(proxy, "GET", "/v1/admin/readiness");
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, "ok", r.text);
  const names = r.json.components.map((c) => `${c.name}:${c.status}`);
  assert.deepEqual(names.sort(), ["database:ok", "redis:ok"]);
});

test("metrics are hidden by the proxy and served by each instance", async () => {
  assert.equal((await call(proxy, "GET", "/metrics")).status, 404);
  for (const base of instances) {
    const r = await call(base, "GET", "/metrics");
    assert.equal(r.status, 200);
    assert.match(r.text, /^memory_mesh_build_info\{/m);
  }
});

test("an account made through the proxy works on both instances, which share the load", async () => {
  const user = `cluster${Date.now()}`;
  const reg = await call(proxy, "POST", "/v1/auth/register", null, {
    email: `${user}@example.com`,
    username: user,
    password: "SecurePass123",
  });
  assert.equal(reg.status, 201, reg.text);
  const login = await call(proxy, "POST", "/v1/auth/login", null, {
    username: user,
    password: "SecurePass123",
  });
  assert.equal(login.status, 200, login.text);
  token = login.json.access_token;
  const before = await Promise.all(instances.map(meServed));
  for (let i = 0; i < 10; i++) {
    const me = await call(proxy, "GET", "/v1/auth/me", token);
    assert.equal(me.status, 200, me.text);
  }
  const after = await Promise.all(instances.map(meServed));
  const served = after.map((n, i) => n - before[i]);
  assert.equal(served[0] + served[1], 10, `served ${served}`);
  assert.ok(served[0] > 0 && served[1] > 0, `round robin: served ${served}`);
});

test("a write through one instance is found through the other and through the proxy", async () => {
  const w = await call(instances[0], "POST", "/v1/messages", token, {
    conversation_id: "cluster",
    role: "user",
    content: "The user keeps bees on a rooftop in Lisbon",
  });
  assert.equal(w.status, 201, w.text);
  tenant = w.json.tenant_id;
  for (const base of [instances[1], proxy, proxy]) {
    const s = await call(base, "GET", "/v1/memory/search?query=rooftop%20bees&mode=lexical", token);
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(
      s.json.items.map((m) => m.message_id),
      [w.json.id],
      `${base}: ${s.text}`,
    );
  }
});

test("a live feed through the proxy receives a write made on either instance", async () => {
  const viaProxy = await feed(proxy, tenant, token);
  const direct = await feed(instances[0], tenant, token);
  try {
    for (const base of instances) {
      const content = `written on ${base}`;
      const w = await call(base, "POST", "/v1/messages", token, {
        conversation_id: "cluster",
        role: "assistant",
        content,
      });
      assert.equal(w.status, 201, w.text);
      for (const f of [viaProxy, direct]) {
        const event = await f.next(
          (e) => e.type === "event" && e.event === "message.created" && e.data.id === w.json.id,
        );
        assert.equal(event.data.content, content);
      }
    }
  } finally {
    viaProxy.ws.close();
    direct.ws.close();
  }
});

test("with one instance stopped, the proxy sends every request to the other", async () => {
  process.kill(Number(process.env.INSTANCE_2_PID), "SIGTERM");
  // The stopped instance refuses connections at once; the proxy tries the other.
  for (let i = 0; i < 10; i++) {
    const me = await call(proxy, "GET", "/v1/auth/me", token);
    assert.equal(me.status, 200, me.text);
  }
});
