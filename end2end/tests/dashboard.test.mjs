// Browser tests for the dashboard: Playwright (playwright-core) driving Debian's chromium against
// the real server started by scripts/e2e.sh (BASE_URL).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const base = process.env.BASE_URL;
let browser;

before(async () => {
  assert.ok(base, "BASE_URL is set by scripts/e2e.sh");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // This machine has no outside network: stop chromium's own background traffic.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

/** A page that records every script error, so a broken WASM bundle fails the test. */
async function openPage(path) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && errors.push(`console: ${m.text()}`));
  page.on("response", (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()} ${r.url()}`));
  await page.goto(base + path);
  return { page, errors };
}

test("the dashboard hydrates: the status button fetches the live health", async () => {
  const { page, errors } = await openPage("/");
  const status = page.getByTestId("status-text");
  assert.equal(await status.textContent(), "Not checked yet.");
  // Server-rendered HTML is visible before the WASM attaches its handlers, so click until the
  // answer appears: only a hydrated page can change this text.
  let text = "";
  for (let attempt = 0; attempt < 60 && !text.startsWith("Service ok"); attempt++) {
    await page.getByTestId("check-status").click();
    await page.waitForTimeout(250);
    text = (await status.textContent()) ?? "";
  }
  assert.match(text, /^Service ok · version \d+\.\d+\.\d+ · up \d+ s · development$/);
  await page.screenshot({ path: "artifacts/dashboard.png", fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("an unknown page shows the dashboard's not-found screen", async () => {
  const { page, errors } = await openPage("/no/such/page");
  await page.getByText("Page not found").waitFor();
  await page.screenshot({ path: "artifacts/not-found.png" });
  await page.getByRole("link", { name: "Back to the dashboard" }).click();
  await page.getByTestId("check-status").waitFor();
  assert.equal(new URL(page.url()).pathname, "/");
  assert.deepEqual(errors.filter((e) => !e.includes("404")), []);
  await page.close();
});
