// Browser tests of the dashboard's frame: the sign-in gate and the not-found page. Playwright
// (playwright-core) drives Debian's chromium against the real server started by scripts/e2e.sh.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { base, launch, track, hydrated } from "./support.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("a signed-out visit lands on sign-in, remembering where it was going", async () => {
  const context = await browser.newContext();
  const page = await track(context);
  await page.goto(base + "/search?q=tea");
  assert.equal(new URL(page.url()).pathname, "/sign-in");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/search?q=tea");
  await hydrated(page);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.screenshot({ path: "artifacts/sign-in.png", fullPage: true });
  assert.deepEqual(page.problems, []);
  await context.close();
});

test("an unknown page shows the dashboard's not-found screen", async () => {
  const context = await browser.newContext();
  const page = await track(context);
  await page.goto(base + "/no/such/page");
  await page.getByText("Page not found").waitFor();
  await page.screenshot({ path: "artifacts/not-found.png" });
  await page.getByRole("link", { name: "Back to the dashboard" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/sign-in");
  assert.deepEqual(page.problems.filter((e) => !e.includes("404")), []);
  await context.close();
});
