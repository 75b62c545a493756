// Retention without curl: enable the policy, add and disable a rule in its own editor, dry-run
// (it lists the message a real run would archive, linked), run for real behind the
// confirmation that repeats the counts (the message leaves search), and restore the run (it
// comes back). Each step saves a screenshot under end2end/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  base, launch, track, hydrated, visit, accessibilityProblems, rest, login, readWithoutJavaScript,
  phoneProblems,
} from "./support.mjs";

const username = "keeper";
const password = "Keeper-Pass-2026";
let browser, context, page, token;

before(async () => {
  browser = await launch();
  const registered = await fetch(base + "/v1/auth/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "keeper@example.com", username, password }),
  });
  assert.equal(registered.status, 201);
  token = await login(username, password);
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await track(context);
  await page.goto(base + "/sign-in");
  await hydrated(page);
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(base + "/");
});
after(async () => { await browser?.close(); });

/** Whether a search for `query` finds message `id`. */
async function found(query, id) {
  const r = await rest("POST", "/v1/memory/search", token, { query, top_k: 20 });
  assert.equal(r.status, 200);
  return r.body.items.some((hit) => hit.message_id === id);
}

test("a dry run lists the message, a real run archives it, a restore brings it back", async () => {
  const old = await rest("POST", "/v1/messages", token,
    { conversation_id: "harbour", role: "user", content: "The old boat needs varnish before summer" });
  assert.equal(old.status, 201);
  const recent = await rest("POST", "/v1/messages", token,
    { conversation_id: "garden", role: "user", content: "Tulips bloom in April" });
  assert.equal(recent.status, 201);
  const id = old.body.id;
  assert.ok(await found("boat varnish", id));

  await visit(page, "/");
  await page.getByRole("link", { name: "Retention" }).click();
  await page.waitForURL(base + "/retention");
  await hydrated(page);

  // The policy: enabled, keeping only the newest message.
  const policy = page.getByTestId("policy");
  await policy.getByLabel(/Enabled/).check();
  await policy.getByLabel("Keep at most this many live messages").fill("1");
  await policy.getByRole("button", { name: "Save the policy" }).click();
  await policy.getByText("Policy saved.").waitFor();
  assert.equal((await rest("GET", "/v1/retention/policy", token)).body.max_items, 1);

  // A rule of another type, in its own editor; then disabled from the list.
  const rules = page.getByTestId("rules");
  await rules.getByRole("link", { name: "Custom filter" }).click();
  await page.getByLabel("Name").fill("drop system notes");
  await page.getByLabel("Role", { exact: true }).selectOption("system");
  await page.getByLabel("Action").selectOption("delete");
  await page.getByRole("button", { name: "Save the rule" }).click();
  await page.getByText("Rule added.").waitFor();
  const row = page.locator('tr[data-rule="drop system notes"]');
  assert.match(await row.textContent(), /role system/);
  await row.getByRole("button", { name: "Disable" }).click();
  await page.getByText("Rule changed.").waitFor();
  assert.match(await page.locator('tr[data-rule="drop system notes"]').textContent(), /disabled/);
  const [rule] = (await rest("GET", "/v1/retention/rules", token)).body;
  assert.deepEqual([rule.enabled, rule.conditions], [false, { filters: { role: "system" } }]);

  // The dry run lists what a real run would archive, linked to its conversation.
  await page.getByRole("button", { name: "Dry run" }).click();
  const details = page.getByTestId("run-details");
  await details.waitFor();
  assert.match(await details.getByTestId("run-counts").textContent(), /would archive 1, delete 0/);
  const listed = details.locator(`li[data-message="${id}"]`);
  assert.match(await listed.textContent(), /old boat needs varnish/);
  assert.match(await listed.getByRole("link", { name: "harbour" }).getAttribute("href"), /\/conversations\/harbour$/);
  assert.ok(await found("boat varnish", id), "a dry run changes nothing");
  await page.screenshot({ path: "artifacts/retention-dry-run.png", fullPage: true });

  // For real, after a confirmation that repeats the counts.
  const confirm = page.getByTestId("run-for-real");
  await confirm.locator("summary").click();
  assert.match(await confirm.textContent(), /would archive 1, delete 0 and move 0 to cold storage/);
  await confirm.getByRole("button", { name: "Run retention now" }).click();
  await page.getByText(/^It archived 1, deleted 0/).waitFor();
  assert.equal(await found("boat varnish", id), false, "archived: out of search");
  await page.screenshot({ path: "artifacts/retention-run.png", fullPage: true });

  // Restore from the run.
  const restore = page.getByTestId("restore");
  await restore.locator("summary").click();
  await restore.getByRole("button", { name: "Restore the run" }).click();
  await page.getByText("Restored: the run's archived messages are back in search.").waitFor();
  assert.ok(await found("boat varnish", id), "restored: back in search");
  const history = page.getByTestId("runs");
  assert.equal(await history.locator("tbody tr").count(), 2);
  assert.match(await history.locator("tbody tr").first().textContent(), /keeper.*real.*1 \(/);
  await page.screenshot({ path: "artifacts/retention-restored.png", fullPage: true });
  assert.deepEqual(page.problems.splice(0), []);
});

test("the retention page reads without JavaScript, passes axe and fits a phone", async () => {
  const signedIn = await context.storageState();
  const { context: noScript, problems } = await readWithoutJavaScript(browser, signedIn, [
    ["/retention", "Delete archived messages after (days)", "nojs-retention"],
    ["/retention?new=importance", "Importance at or below", "nojs-retention-rule"],
  ]);
  assert.deepEqual(problems, []);
  await noScript.close();
  const violations = [
    ...(await accessibilityProblems(browser, signedIn, "/retention")),
    ...(await accessibilityProblems(browser, signedIn, "/retention?new=custom")),
  ];
  assert.deepEqual(violations, []);
  assert.deepEqual(await phoneProblems(browser, signedIn, [["/retention", "phone-retention"]]), []);
});
