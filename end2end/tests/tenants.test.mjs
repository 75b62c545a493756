// Running a team's tenant: add a member by email, who signs in elsewhere and writes; demote
// them to read-only, and their UI stops offering writes while the API refuses them; read the
// audit log; create, rename, switch to and delete a tenant. Screenshots in end2end/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  base, launch, track, hydrated, visit, accessibilityProblems, rest, login, readWithoutJavaScript,
  phoneProblems,
} from "./support.mjs";

const password = "Team-Pass-2026";
let browser, owner, helper, signedIn;

async function register(username, tenant) {
  const response = await fetch(base + "/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `${username}@example.com`, username, password, tenant_id: tenant }),
  });
  assert.equal(response.status, 201);
}

async function signIn(username) {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await track(ctx);
  await page.goto(base + "/sign-in");
  await hydrated(page);
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  return { ctx, page };
}

before(async () => {
  browser = await launch();
  await register("owner", "team");
  await register("helper");
  owner = await signIn("owner");
});
after(async () => { await browser?.close(); });

test("an admin adds a member by email; the member signs in elsewhere and writes", async () => {
  const { page } = owner;
  await visit(page, "/members");
  await page.getByLabel("Email, username or user id").fill("helper@example.com");
  await page.getByLabel("Role", { exact: true }).selectOption("member");
  await page.getByRole("button", { name: "Add the member" }).click();
  await page.getByText("Member added.").waitFor();
  const row = page.locator('tr[data-member="helper"]');
  await row.waitFor();
  await page.screenshot({ path: "artifacts/members.png", fullPage: true });

  helper = await signIn("helper");
  await visit(helper.page, "/conversations/notes?tenant=team");
  await helper.page.getByLabel("Content", { exact: true }).fill("Written by the helper");
  await helper.page.getByRole("button", { name: "Add message" }).click();
  await helper.page.getByTestId("message-content").filter({ hasText: "Written by the helper" }).waitFor();
  assert.deepEqual(page.problems.splice(0), []);
  assert.deepEqual(helper.page.problems.splice(0), []);
});

test("demoted to read-only, the member is offered no writes and the API refuses them", async () => {
  const { page } = owner;
  await visit(page, "/members");
  const row = page.locator('tr[data-member="helper"]');
  await row.getByLabel("Role of helper").selectOption("read_only");
  await row.getByRole("button", { name: "Change" }).click();
  await page.getByText("Role changed.").waitFor();
  assert.equal(await page.locator('tr[data-member="helper"] select').inputValue(), "read_only");

  await visit(helper.page, "/conversations/notes?tenant=team");
  await helper.page.getByTestId("message-content").filter({ hasText: "Written by the helper" }).waitFor();
  assert.equal(await helper.page.getByRole("button", { name: "Add message" }).count(), 0);
  assert.equal(await helper.page.getByText("Edit", { exact: true }).count(), 0);
  assert.equal(await helper.page.getByRole("button", { name: "Delete" }).count(), 0);
  await helper.page.screenshot({ path: "artifacts/read-only-member.png", fullPage: true });
  // The member list is theirs to read, not to change.
  await visit(helper.page, "/members?tenant=team");
  await helper.page.locator('tr[data-member="owner"]').waitFor();
  assert.equal(await helper.page.getByRole("button", { name: "Add the member" }).count(), 0);
  assert.equal(await helper.page.locator("tr select").count(), 0);

  const token = await login("helper", password);
  const refused = await rest("POST", "/v1/messages", token,
    { tenant_id: "team", conversation_id: "notes", role: "user", content: "sneaked in" });
  assert.equal(refused.status, 403);
  assert.deepEqual(helper.page.problems.splice(0), []);
  await helper.ctx.close();
});

test("the audit log lists the member changes, newest first, filtered by action", async () => {
  const { page } = owner;
  await visit(page, "/audit");
  const actions = await page.getByTestId("audit").locator("tbody tr").evaluateAll(
    (rows) => rows.map((r) => r.dataset.action));
  assert.deepEqual(actions.slice(0, 2), ["member.role_changed", "member.added"]);
  await page.getByLabel("Action").fill("member.added");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/action=member.added/);
  const filtered = await page.getByTestId("audit").locator("tbody tr").evaluateAll(
    (rows) => rows.map((r) => r.dataset.action));
  assert.deepEqual(filtered, ["member.added"]);
  await page.screenshot({ path: "artifacts/audit.png", fullPage: true });
  assert.deepEqual(page.problems.splice(0), []);
});

test("a tenant is created, renamed, switched to and deleted after typing its id", async () => {
  const { page } = owner;
  await visit(page, "/tenants");
  await page.getByText("Create a tenant").click();
  await page.getByLabel(/^Id/).fill("sandbox");
  await page.getByLabel("Name (optional)").fill("Sandbox");
  await page.getByRole("button", { name: "Create the tenant" }).click();
  await page.getByText("Tenant created").waitFor();
  const card = page.locator('section[data-tenant="sandbox"]');
  await card.getByText("Rename or delete").click();
  await card.getByLabel("Name", { exact: true }).fill("Sandbox two");
  await card.getByRole("button", { name: "Rename" }).click();
  await page.getByText("Renamed.").waitFor();
  assert.match(await page.locator('section[data-tenant="sandbox"] h2').textContent(), /Sandbox two/);

  await page.locator('section[data-tenant="sandbox"]').getByRole("link", { name: "Switch to sandbox" }).click();
  await page.waitForURL(/\?tenant=sandbox/);
  assert.equal(await page.locator("#tenant-switch").inputValue(), "sandbox");
  await page.screenshot({ path: "artifacts/tenant-switched.png", fullPage: true });

  await visit(page, "/tenants?tenant=sandbox");
  const sandbox = page.locator('section[data-tenant="sandbox"]');
  await sandbox.getByText("Rename or delete").click();
  const remove = sandbox.getByRole("button", { name: "Delete the tenant" });
  assert.equal(await remove.isDisabled(), true);
  assert.match(await sandbox.textContent(), /deletes 0 messages, 0 conversations and 1 memberships/);
  await sandbox.getByLabel(/Type its id, sandbox/).fill("sandbox");
  assert.equal(await remove.isDisabled(), false);
  await page.screenshot({ path: "artifacts/tenant-delete.png", fullPage: true });
  await remove.click();
  await page.getByText("The tenant and everything in it are deleted.").waitFor();
  assert.equal(await page.locator('section[data-tenant="sandbox"]').count(), 0);
  assert.deepEqual(page.problems.splice(0), []);
  signedIn = await owner.ctx.storageState();
});

test("an instance administrator sees the instance's health; a tenant admin is not offered it", async () => {
  assert.equal(await owner.page.getByRole("link", { name: "Instance" }).count(), 0);
  await visit(owner.page, "/instance");
  await owner.page.getByText("restricted to instance administrators").waitFor();

  await register("root");
  const root = await signIn("root");
  await root.page.getByRole("link", { name: "Instance" }).click();
  await root.page.waitForURL(/\/instance/);
  assert.equal(await root.page.getByTestId("readiness").textContent(), "Readiness: ok");
  for (const name of ["database", "embedding"]) {
    assert.match(await root.page.locator(`tr[data-component="${name}"]`).textContent(), /ok/, name);
  }
  assert.match(await root.page.getByTestId("queue-depth").textContent(), /^\d+$/);
  const team = root.page.locator('tr[data-tenant="team"]');
  const cells = await team.locator("td").allTextContents();
  assert.deepEqual(cells.slice(1, 4), ["2", "1", "1"], "members, messages, conversations");
  await root.page.screenshot({ path: "artifacts/instance.png", fullPage: true });
  assert.deepEqual(root.page.problems.splice(0), []);
  await root.ctx.close();
});

test("members, tenants and audit read without JavaScript, pass axe, and fit 375 px", async () => {
  const { context: noScript, problems: found } = await readWithoutJavaScript(browser, signedIn, [
    ["/members?tenant=team", "helper@example.com", "nojs-members"],
    ["/tenants?tenant=team", "team", "nojs-tenants"],
    ["/audit?tenant=team", "member.added", "nojs-audit"],
  ]);
  assert.deepEqual(found, []);
  await noScript.close();

  const violations = [];
  for (const path of ["/members?tenant=team", "/tenants?tenant=team", "/audit?tenant=team"]) {
    violations.push(...(await accessibilityProblems(browser, signedIn, path)));
  }
  assert.deepEqual(violations, []);
  assert.deepEqual(await phoneProblems(browser, signedIn, [
    ["/members?tenant=team", "phone-members"],
    ["/tenants?tenant=team", "phone-tenants"],
    ["/audit?tenant=team", "phone-audit"],
  ]), []);
});
