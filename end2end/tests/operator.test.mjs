// Running a tenant without curl: API keys (create, copy, use, revoke), the account (profile,
// password, sessions) and what ending a session does to another browser. Each step saves a
// screenshot under end2end/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  base, launch, track, hydrated, visit, accessibilityProblems, waitForText, readWithoutJavaScript,
  phoneProblems,
} from "./support.mjs";

const username = "operator";
let password = "Operator-Pass-2026";
let browser, context, page, signedIn;

/** Signs `username` in through the sign-in page of a new browser context. */
async function signIn(secret) {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const p = await track(ctx);
  await p.goto(base + "/sign-in");
  await hydrated(p);
  await p.getByLabel("Username or email").fill(username);
  await p.getByLabel("Password").fill(secret);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(base + "/");
  return { ctx, page: p };
}

before(async () => {
  browser = await launch();
  const registered = await fetch(base + "/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "operator@example.com", username, password }),
  });
  assert.equal(registered.status, 201);
  ({ ctx: context, page } = await signIn(password));
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
});
after(async () => { await browser?.close(); });

function problems(p = page) {
  return p.problems.splice(0);
}

/** A REST call with an API key, as an application makes it. */
async function withKey(method, path, key, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "x-api-key": key, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status;
}

test("an API key is created, copied once, used by an app, and revoked", async () => {
  await visit(page, "/");
  await page.getByRole("link", { name: "API keys" }).click();
  await page.waitForURL(base + "/keys");
  await hydrated(page);
  await page.getByLabel("Name").fill("support bot");
  await page.getByLabel("Scope").selectOption("write");
  await page.getByLabel(/Expires after/).fill("30");
  await page.getByRole("button", { name: "Create the key" }).click();
  const card = page.getByTestId("new-key");
  await card.waitFor();
  await hydrated(page);
  assert.match(await card.textContent(), /will not be shown again/);
  const secret = await page.locator("#new-key-secret").inputValue();
  assert.match(secret, /^mm_[0-9a-f]{12}_[0-9a-f]{64}$/);
  await card.getByTestId("copy").click();
  await waitForText(card.getByRole("status"), /Copied/);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await page.screenshot({ path: "artifacts/keys-created.png", fullPage: true });

  const stored = await withKey("POST", "/v1/messages", secret,
    { conversation_id: "from-bot", role: "user", content: "Stored with a key" });
  assert.equal(stored, 201);
  // Shown once: a reload lists the key, never its secret.
  await visit(page, "/keys");
  assert.equal(await page.getByTestId("new-key").count(), 0);
  assert.equal((await page.content()).includes(secret), false);
  const row = page.locator("tr", { hasText: "support bot" });
  assert.match(await row.textContent(), /active/);

  await row.getByText("Revoke…").click();
  await row.getByRole("button", { name: "Revoke the key" }).click();
  await page.getByText("The key is revoked").waitFor();
  assert.match(await page.locator("tr", { hasText: "support bot" }).textContent(), /revoked/);
  assert.equal(await withKey("GET", "/v1/conversations", secret), 401);
  await page.screenshot({ path: "artifacts/keys-revoked.png", fullPage: true });
  assert.deepEqual(problems(), []);
});

test("the profile is saved and the sessions list each signed-in browser", async () => {
  const other = await signIn(password);
  await visit(page, "/account");
  await page.getByLabel("Full name").fill("Olive Operator");
  await page.getByRole("button", { name: "Save the profile" }).click();
  await page.getByText("Profile saved.").waitFor();
  assert.equal(await page.getByLabel("Full name").inputValue(), "Olive Operator");
  const rows = page.getByTestId("sessions").locator("tbody tr");
  assert.equal(await rows.count(), 2);
  assert.equal(await page.locator('tr[data-current="true"]').count(), 1);
  assert.match(await rows.first().textContent(), /Headless Chrome on Linux|Chrome on Linux/);
  await page.screenshot({ path: "artifacts/account.png", fullPage: true });

  // Signing the other browser out here ends it there.
  await page.locator('tr[data-current="false"]').getByRole("button", { name: "Sign out" }).click();
  await page.getByText("That session has ended.").waitFor();
  await other.page.goto(base + "/conversations");
  await other.page.waitForURL(/\/sign-in\?next=%2Fconversations/);
  await other.ctx.close();
  assert.deepEqual(problems(), []);
});

test("changing the password signs the other browser out and closes its live feed", async () => {
  const other = await signIn(password);
  await visit(other.page, "/live");
  const status = other.page.getByTestId("live-status");
  await waitForText(status, /^Live/);

  await visit(page, "/account");
  await page.getByLabel("Current password").fill("not-my-password-1");
  await page.getByLabel("New password").fill("Operator-Pass-2027");
  await page.getByRole("button", { name: "Change the password" }).click();
  await page.locator("#current_password-error").waitFor();
  await page.screenshot({ path: "artifacts/account-password-refused.png", fullPage: true });
  await page.getByLabel("Current password").fill(password);
  await page.getByLabel("New password").fill("Operator-Pass-2027");
  await page.getByRole("button", { name: "Change the password" }).click();
  await page.getByText("Password changed").waitFor();
  password = "Operator-Pass-2027";

  // Closed by the revocation the change pushed, not by a periodic check.
  await waitForText(status, /sign in again/, 10_000);
  await other.page.screenshot({ path: "artifacts/live-signed-out.png", fullPage: true });
  await other.page.goto(base + "/search");
  await other.page.waitForURL(/\/sign-in/);
  await other.ctx.close();
  assert.deepEqual(problems(), []);
});

test("sign out everywhere else ends every other session", async () => {
  const first = await signIn(password);
  const second = await signIn(password);
  await visit(page, "/account");
  await page.getByRole("button", { name: /Sign out everywhere else \(2\)/ }).click();
  await page.getByText("Every other session has ended.").waitFor();
  assert.equal(await page.getByTestId("sessions").locator("tbody tr").count(), 1);
  await page.screenshot({ path: "artifacts/account-signed-out-elsewhere.png", fullPage: true });
  for (const o of [first, second]) {
    await o.page.goto(base + "/keys");
    await o.page.waitForURL(/\/sign-in/);
    await o.ctx.close();
  }
  await visit(page, "/keys");
  assert.deepEqual(problems(), []);
  signedIn = await context.storageState();
});

test("the keys and account pages read without JavaScript, pass axe, and fit 375 px", async () => {
  const { context: noScript, reader, problems: found } = await readWithoutJavaScript(browser, signedIn, [
    ["/keys", "support bot", "nojs-keys"],
    ["/account", "Sessions", "nojs-account"],
  ]);
  // The last page read is the account's: the profile is in its form.
  assert.equal(await reader.getByLabel("Full name").inputValue(), "Olive Operator");
  assert.deepEqual(found, []);
  await noScript.close();

  const violations = [];
  for (const path of ["/keys", "/account"]) {
    violations.push(...(await accessibilityProblems(browser, signedIn, path)));
  }
  assert.deepEqual(violations, []);
  assert.deepEqual(await phoneProblems(browser, signedIn, [["/keys", "phone-keys"], ["/account", "phone-account"]]), []);
});
