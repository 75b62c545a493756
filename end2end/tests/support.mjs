// Shared pieces of the browser tests: the browser, pages that record every script error and
// failed request, the hydration wait, the accessibility check, and REST calls as an app makes.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export const base = process.env.BASE_URL;
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export async function launch() {
  assert.ok(base, "BASE_URL is set by scripts/e2e.sh");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // This machine has no outside network: stop chromium's own background traffic.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** A page of `context` that records script errors and failed requests in `page.problems`. */
export async function track(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && page.problems.push(`console: ${m.text()}`));
  page.on("response", (r) => r.status() >= 400 && page.problems.push(`HTTP ${r.status()} ${r.url()}`));
  page.on("requestfailed", (r) => page.problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  return page;
}

/** Waits until the WASM bundle has hydrated the page's islands (an island marks the body);
 * a page without islands is plain HTML, ready as it loads. */
export async function hydrated(page) {
  if ((await page.locator("leptos-island").count()) === 0) return;
  await page.locator("body[data-hydrated]").waitFor({ timeout: 30_000 });
}

/** Goes to `path` and waits for hydration. */
export async function visit(page, path) {
  await page.goto(base + path);
  await hydrated(page);
}

/** Runs axe-core on `path` (in a context that lets the test inject it) and returns the serious
 * and critical violations. */
export async function accessibilityProblems(browser, storageState, path) {
  const context = await browser.newContext({ bypassCSP: true, storageState });
  const page = await context.newPage();
  await page.goto(base + path);
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => await globalThis.axe.run());
  await context.close();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${path}: ${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** A REST call with a bearer token, as an application makes it. */
export async function rest(method, path, token, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** An access token for `username`, from the REST login. */
export async function login(username, password) {
  const response = await fetch(base + "/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).access_token;
}

/** Polls `locator`'s text until it matches `pattern` (the page updates it on its own). */
export async function waitForText(locator, pattern, timeout = 30_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const text = (await locator.textContent()) ?? "";
    if (pattern.test(text)) return text;
    if (Date.now() > end) throw new Error(`waited for ${pattern}, saw ${JSON.stringify(text)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Opens each `[path, text, shot]` in a context without JavaScript, signed in with
 * `storageState`: waits for `text` (so it is in the server's HTML) and saves the screenshot.
 * Returns the context's page (closed with the context by the caller) and its problems but the
 * refused module script. */
export async function readWithoutJavaScript(browser, storageState, pages) {
  const context = await browser.newContext({ javaScriptEnabled: false, storageState });
  const reader = await track(context);
  for (const [path, text, shot] of pages) {
    await reader.goto(base + path);
    await reader.getByText(text).first().waitFor();
    await reader.screenshot({ path: `artifacts/${shot}.png`, fullPage: true });
  }
  // With scripts off, chromium refuses to fetch the page's module script (and says "csp").
  const scriptRefused = (p) => /^failed: .*\/pkg\/memory-mesh\.([0-9a-f]{16}\.)?js csp$/.test(p);
  return { context, reader, problems: reader.problems.filter((p) => !scriptRefused(p)) };
}

/** Opens each `[path, shot]` on a 375 px wide screen, signed in with `storageState`, and saves
 * the screenshot; returns the pages that scroll sideways and the problems recorded. */
export async function phoneProblems(browser, storageState, pages) {
  const context = await browser.newContext({ viewport: { width: 375, height: 800 }, storageState });
  const small = await track(context);
  const wide = [];
  for (const [path, shot] of pages) {
    await small.goto(base + path);
    await hydrated(small);
    const width = await small.evaluate(() => document.documentElement.scrollWidth);
    if (width > 375) wide.push(`${path} is ${width} px wide`);
    await small.screenshot({ path: `artifacts/${shot}.png`, fullPage: true });
  }
  await context.close();
  return [...wide, ...small.problems];
}
