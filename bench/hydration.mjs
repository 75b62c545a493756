// Time from navigation to hydrated in headless chromium, per dashboard page with islands:
// `performance.now()` when the page's islands have attached (the body carries
// `data-hydrated`), from a new browser context each time (nothing cached), 10 loads per page.
// Beside it, when the page's HTML had arrived and when the WASM download ended (resource
// timing), to show where the time goes.
//
// Run against a running server (for example `scripts/run.sh serve` on the embedded default):
//   BASE_URL=http://127.0.0.1:8000 node bench/hydration.mjs
// It registers its own user and stores three messages. Uses end2end/'s playwright-core and
// Debian's chromium (`scripts/setup-tools.sh --browser` installs both).
import { createRequire } from "node:module";

const require = createRequire(new URL("../end2end/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const base = process.env.BASE_URL ?? "http://127.0.0.1:8000";
const LOADS = 10;

async function json(method, path, body, headers = {}) {
  const r = await fetch(base + path, {
    method, headers: { "content-type": "application/json", ...headers },
    body: body && JSON.stringify(body),
  });
  if (r.status >= 400) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r;
}

const user = `hydration_${Date.now()}`;
const password = "Hydration-Bench-2026";
await json("POST", "/v1/auth/register", { email: `${user}@example.com`, username: user, password });
const { access_token: token } = await (await json("POST", "/v1/auth/login", { username: user, password })).json();
for (const content of ["I love hiking in the Alps", "My sister lives in Lisbon", "Pasta for dinner"]) {
  await json("POST", "/v1/messages", { conversation_id: "bench", role: "user", content },
    { authorization: `Bearer ${token}` });
}
const session = await json("POST", "/v1/auth/session", { username: user, password });
const [name, value] = session.headers.get("set-cookie").split(";")[0].split("=");
const cookie = { name, value, url: base };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
console.log("| page | HTML received p50 | WASM received p50 | hydrated p50 / p95 (ms) |");
console.log("|---|---|---|---|");
for (const path of ["/", "/conversations/bench", "/search?q=hiking", "/live"]) {
  const times = [], html = [], wasm = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext();
    await context.addCookies([cookie]);
    const page = await context.newPage();
    await page.goto(base + path);
    await page.locator("body[data-hydrated]").waitFor({ timeout: 30_000 });
    const [now, received, downloaded] = await page.evaluate(() => [
      performance.now(),
      performance.getEntriesByType("navigation")[0].responseEnd,
      performance.getEntriesByType("resource").find((e) => e.name.endsWith(".wasm"))?.responseEnd,
    ]);
    times.push(now);
    html.push(received);
    wasm.push(downloaded);
    await context.close();
  }
  const at = (list, p) => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted[Math.round((p / 100) * (sorted.length - 1))].toFixed(0);
  };
  console.log(`| \`${path}\` | ${at(html, 50)} | ${at(wasm, 50)} | ${at(times, 50)} / ${at(times, 95)} |`);
}
await browser.close();
