// The dashboard as a person uses it, in order: register, add and edit messages, search and
// read why results rank, move the weights, compare two settings, follow the live feed across
// a dropped connection, read every page without JavaScript, check accessibility, sign out and
// come back. Each step saves a screenshot under end2end/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  base, launch, track, hydrated, visit, accessibilityProblems, rest, login, waitForText,
  readWithoutJavaScript, phoneProblems,
} from "./support.mjs";

const username = "journey";
const password = "Journey-Pass-2026";
let browser, context, page, signedIn;
const sockets = [];

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  // The live feed's sockets pass through the test, which can drop them.
  await context.routeWebSocket(/\/v1\/ws\/messages\//, (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  page = await track(context);
});
after(async () => { await browser?.close(); });

/** The page's recorded problems, emptied. */
function problems() {
  return page.problems.splice(0);
}

const hitContents = () => page.getByTestId("hit-content").allTextContents();

test("register: the API's rules show beside the field, then the account signs in", async () => {
  await page.goto(base + "/conversations");
  await hydrated(page);
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL(/\/register\?next=%2Fconversations$/);
  await hydrated(page);
  const fill = async (secret) => {
    await page.getByLabel("Email").fill("journey@example.com");
    await page.getByLabel("Username", { exact: true }).fill(username);
    await page.getByLabel("Password").fill(secret);
    await page.getByRole("button", { name: "Create account" }).click();
  };
  await fill("short");
  const error = page.locator("#password-error");
  await error.waitFor();
  assert.match(await error.textContent(), /password/);
  await page.screenshot({ path: "artifacts/register-weak-password.png", fullPage: true });
  assert.deepEqual(problems(), []);
  await fill(password);
  await page.waitForURL(base + "/conversations");
  await hydrated(page);
  await page.getByText("No memories yet").waitFor();
  assert.match(await page.locator("pre code").textContent(), new RegExp(`curl -X POST ${base}/v1/messages`));
  assert.equal(await page.getByTestId("signed-in-as").textContent(), username);
  await page.screenshot({ path: "artifacts/conversations-empty.png", fullPage: true });
  assert.deepEqual(problems(), []);
});

test("add messages in a conversation and edit one: it is embedded again", async () => {
  await visit(page, "/conversations/trip");
  for (const [role, content] of [
    ["user", "I love hiking in the Alps every summer"],
    ["assistant", "Hiking boots should be broken in before a long trek"],
    ["system", "The user is a nurse who works night shifts"],
  ]) {
    await page.getByLabel("Role").selectOption(role);
    await page.getByLabel("Content", { exact: true }).fill(content);
    await page.getByRole("button", { name: "Add message" }).click();
    await page.getByTestId("message-content").filter({ hasText: content }).waitFor();
  }
  assert.equal(await page.getByTestId("message").count(), 3);
  assert.equal(await page.getByTestId("stat-total").textContent(), "3");
  const first = page.getByTestId("message").filter({ hasText: "Alps" });
  await first.getByText("Edit", { exact: true }).click();
  await first.getByLabel("New content").fill("I love hiking in the Dolomites every summer");
  await first.getByRole("button", { name: "Save and embed again" }).click();
  const edited = page.getByTestId("message").filter({ hasText: "Dolomites" });
  await edited.waitFor();
  assert.equal(await edited.getByTestId("embedding-status").textContent(), "embedded");
  assert.equal(await page.getByTestId("message").filter({ hasText: "Alps" }).count(), 0);
  await page.screenshot({ path: "artifacts/conversation.png", fullPage: true });
  assert.deepEqual(problems(), []);
});

test("a conversation with messages is deleted only after its id is typed", async () => {
  await visit(page, "/conversations/scratch");
  await page.getByLabel("Content", { exact: true }).fill("A note to delete");
  await page.getByRole("button", { name: "Add message" }).click();
  await page.getByTestId("message-content").filter({ hasText: "A note to delete" }).waitFor();
  await hydrated(page);
  await page.getByText("Rename, archive or delete this conversation").click();
  const remove = page.getByRole("button", { name: "Delete the conversation" });
  assert.equal(await remove.isDisabled(), true);
  await page.getByLabel(/Type the conversation's id/).fill("scratch");
  assert.equal(await remove.isDisabled(), false);
  await remove.click();
  await page.getByText("This conversation has no messages").waitFor();
  assert.equal(await page.getByTestId("message").count(), 0);
  assert.deepEqual(problems(), []);
});

test("search shows each result's score breakdown; a weight slider changes the order", async () => {
  await visit(page, "/search?q=hiking+in+the+mountains");
  await page.getByTestId("hit").first().waitFor();
  const before = await hitContents();
  assert.match(before[0], /hiking/i);
  const breakdown = page.getByTestId("score-breakdown").first();
  for (const part of ["score", "relevance", "similarity", "importance", "recency"]) {
    assert.equal(await breakdown.locator(`meter[aria-label="${part}"]`).count(), 1, part);
  }
  await page.screenshot({ path: "artifacts/search.png", fullPage: true });
  // Importance alone: the system message (the most important by role) leads.
  await page.locator("#relevance").fill("0");
  await page.locator("#recency").fill("0");
  await page.locator("#importance").fill("1");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForURL(/importance=1/);
  await waitForText(page.getByTestId("hit-content").first(), /nurse/);
  const after = await hitContents();
  assert.notDeepEqual(after, before);
  assert.match(await page.getByTestId("results").textContent(), /importance 1\.00/);
  await page.screenshot({ path: "artifacts/search-weights.png", fullPage: true });
  assert.deepEqual(problems(), []);
});

test("compare two settings side by side, with the rank changes marked", async () => {
  await page.getByLabel(/Compare with a second setting/).check();
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForURL(/compare=true/);
  const sections = page.getByTestId("results");
  await sections.nth(1).waitFor();
  assert.equal(await sections.count(), 2);
  // Setting B (the server's weights) against A (importance alone): something moved.
  const marks = await sections.nth(1).getByTestId("moved").allTextContents();
  assert.ok(marks.length >= 2, `${marks}`);
  assert.ok(marks.some((m) => m !== "="), `${marks}`);
  await page.screenshot({ path: "artifacts/search-compare.png", fullPage: true });
  assert.deepEqual(problems(), []);
});

test("the live view shows events as they commit and resumes after a dropped connection", async () => {
  const token = await login(username, password);
  await visit(page, "/live");
  const status = page.getByTestId("live-status");
  await waitForText(status, /^Live/);
  const created = (text) => page.getByTestId("live-event").filter({ hasText: "message.created" }).filter({ hasText: text });
  const first = await rest("POST", "/v1/messages", token, { conversation_id: "trip", role: "user", content: "Live one" });
  assert.equal(first.status, 201);
  await created("Live one").waitFor();
  // Drop the connection, and write while it is down.
  const open = sockets.length;
  await sockets[open - 1].close({ code: 1001, reason: "dropped by the test" });
  const second = await rest("POST", "/v1/messages", token, { conversation_id: "trip", role: "user", content: "Live two" });
  assert.equal(second.status, 201);
  await waitForText(status, /caught up/);
  assert.ok(sockets.length > open, "the view reconnected");
  await created("Live two").waitFor();
  assert.equal(await created("Live one").count(), 1, "no event twice");
  assert.equal(await page.getByTestId("live-gap").count(), 0, "no gap: nothing was lost");
  await page.screenshot({ path: "artifacts/live.png", fullPage: true });
  assert.deepEqual(problems(), []);
  signedIn = await context.storageState();
});

test("every reading page shows its data without JavaScript", async () => {
  const { context: noScript, reader, problems: found } = await readWithoutJavaScript(browser, signedIn, [
    ["/conversations", "trip", "nojs-conversations"],
    ["/conversations/trip", "Dolomites", "nojs-conversation"],
    ["/search?q=hiking+in+the+mountains", "Dolomites", "nojs-search"],
  ]);
  assert.ok(await reader.locator("meter").count() > 0, "the score bars are in the HTML");
  assert.deepEqual(found, []);
  await noScript.close();
});

test("no page has a serious or critical accessibility violation", async () => {
  const found = [];
  for (const path of ["/", "/conversations", "/conversations/trip", "/search?q=hiking&compare=true", "/live"]) {
    found.push(...(await accessibilityProblems(browser, signedIn, path)));
  }
  for (const path of ["/sign-in", "/register"]) {
    found.push(...(await accessibilityProblems(browser, undefined, path)));
  }
  assert.deepEqual(found, []);
});

test("every page fits a 375 px wide screen without sideways scrolling", async () => {
  assert.deepEqual(await phoneProblems(browser, signedIn, [
    ["/", "phone-overview"],
    ["/conversations", "phone-conversations"],
    ["/conversations/trip", "phone-conversation"],
    ["/search?q=hiking&compare=true", "phone-search-compare"],
    ["/live", "phone-live"],
  ]), []);
});

test("the overview's figures are the API's; its status button works once hydrated", async () => {
  await visit(page, "/");
  const token = await login(username, password);
  const usage = (await rest("GET", "/v1/analytics/usage", token)).body;
  for (const [id, value] of [
    ["usage-active", usage.active_messages],
    ["usage-conversations", usage.total_conversations],
    ["usage-today", usage.messages_today],
    ["usage-vectors", usage.total_embeddings],
    ["usage-searches", usage.searches_last_24h],
  ]) {
    assert.equal(await page.getByTestId(id).textContent(), String(value), id);
  }
  assert.ok(usage.active_messages > 0);
  assert.equal(await page.locator('svg[role="img"]').count(), 1, "the messages chart");
  await page.getByRole("link", { name: "7 days" }).click();
  await page.waitForURL(/days=7/);
  await hydrated(page);
  assert.match(await page.locator("svg desc").textContent(), /^user: \d+, assistant: \d+, system: \d+$/);
  await page.getByTestId("check-status").click();
  const text = await waitForText(page.getByTestId("status-text"), /^Service ok/);
  assert.match(text, /^Service ok · version \d+\.\d+\.\d+ · up \d+ s · development$/);
  await page.screenshot({ path: "artifacts/overview.png", fullPage: true });
  assert.deepEqual(problems(), []);
});

test("sign out, then a visit goes through sign-in and back", async () => {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/sign-in/);
  await page.goto(base + "/search?q=hiking");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/search?q=hiking");
  await hydrated(page);
  await page.getByLabel("Username or email").fill("journey@example.com");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(base + "/search?q=hiking");
  await page.getByTestId("hit").first().waitFor();
  await page.screenshot({ path: "artifacts/signed-in-again.png", fullPage: true });
  assert.deepEqual(problems(), []);
});
