// The web app in a real browser (Debian's Chromium, driven by playwright-core) against a real
// node: every page loads without console errors and shows the node's data, at 1280 px and 390 px;
// the playground streams a paid answer and shows its receipt and attribution; proofs verify in
// the browser and a tampered one fails; keyboard navigation works; deep links load. Screenshots
// go to $TRIBUTARY_SCREENSHOTS.
//
// Run by tests/integration/web_app_test.cpp, which seeds the node; by hand:
//   TRIBUTARY_URL=http://127.0.0.1:8645 TRIBUTARY_MODEL=tributary-model-1 TRIBUTARY_API_KEY=trb-sk-...
//   TRIBUTARY_ACCOUNT=trb... TRIBUTARY_PROMPT="..." node e2e/app.e2e.mjs
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = (name, fallback) => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};
const base = env("TRIBUTARY_URL").replace(/\/$/, "");
const model = env("TRIBUTARY_MODEL");
const apiKey = env("TRIBUTARY_API_KEY");
const account = env("TRIBUTARY_ACCOUNT");
const prompt = env("TRIBUTARY_PROMPT");
const datanet = env("TRIBUTARY_DATANET", "1");
const shots = env("TRIBUTARY_SCREENSHOTS", "screenshots");
const executablePath = env("TRIBUTARY_CHROMIUM", "/usr/bin/chromium");
mkdirSync(shots, { recursive: true });

let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
};

const api = async (path) => {
  const res = await fetch(base + path);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
};

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Offline machines: no background connections to Google's services (they would be refused).
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

//! A page that records console errors and uncaught exceptions. The playground polls
//! /v1/receipts/{id} until the answer settles, and Chromium logs each 404 of that poll as a
//! console error: those, and only those, are expected.
async function newPage(width, expectedStatus = 404) {
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.errors = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    if (/Failed to load resource.*404/.test(m.text()) && /\/v1\/receipts\//.test(m.location()?.url ?? "")) return;
    if (expectedStatus !== 404 && m.text().includes(`status of ${expectedStatus}`)) return;
    page.errors.push(`console: ${m.text()} (${m.location()?.url ?? ""})`);
  });
  page.on("pageerror", (e) => page.errors.push(`exception: ${e.message}`));
  page.on("requestfailed", (r) => {
    if (r.failure()?.errorText !== "net::ERR_ABORTED") page.errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return page;
}

const timings = []; // [path, width, ms from navigation to the page rendered]
async function visit(page, path, expectText, name) {
  const started = Date.now();
  await page.goto(base + path, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => document.querySelector("main h1") && !document.querySelector("main [aria-busy]"), null, { timeout: 30000 });
  timings.push([path, page.viewportSize().width, Date.now() - started]); // until the page is drawn
  await page.waitForLoadState("networkidle");
  const text = (await page.locator("main").innerText()).toLowerCase(); // CSS may upper-case titles
  for (const t of [].concat(expectText)) check(text.includes(t.toLowerCase()), `${path} (${page.viewportSize().width}px) shows "${t}"`);
  check(!(await page.locator("main .error").count()), `${path} shows no error box`);
  if (page.viewportSize().width < 500) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    // On failure, name the outermost elements that stick out.
    const culprits = overflow <= 1 ? [] : await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`));
    check(overflow <= 1, `${path} fits 390 px without sideways scrolling (overflow ${overflow}px ${culprits.join(" ")})`);
  }
  if (name) await page.screenshot({ path: join(shots, `${name}-${page.viewportSize().width}.png`), fullPage: true });
}

// What the pages should show, from the API (the node was seeded by the test).
const d = await api(`/v1/datanets/${datanet}`);
const models = await api("/v1/models");
const m = models.models.find((x) => x.openai_id === model);
if (!m) throw new Error(`model ${model} is not registered`);
const contributions = (await api(`/v1/datanets/${datanet}/contributions`)).contributions;
const txBlock = await api(`/v1/blocks/${d.created_height}`); // holds the datanet.create tx
const txHash = txBlock.txs[0];

// ---- the playground first: its paid answer feeds the earnings pages ----
{
  const page = await newPage(1280);
  await visit(page, `/playground?model=${encodeURIComponent(model)}`, ["Playground"]);
  check((await page.locator("#model").inputValue()) === model, "the playground preselects the model from the URL");
  await page.fill("#apikey", apiKey);
  await page.locator("#apikey").dispatchEvent("change");
  await page.fill("#max-tokens", "24");
  await page.fill("#message", prompt);
  // Count how often the answer's text changes while it streams.
  await page.evaluate(() => {
    window.__textUpdates = 0;
    new MutationObserver(() => {
      const t = document.querySelector(".msg.assistant .answer-text");
      if (t && t.textContent) window.__textUpdates++;
    }).observe(document.getElementById("chat"), { subtree: true, childList: true, characterData: true });
  });
  const streamed = page.waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
  await page.click("#send");
  const res = await streamed;
  check((res.headers()["content-type"] ?? "").startsWith("text/event-stream"), "the chat is answered as server-sent events");
  await page.waitForSelector('.msg.assistant[data-state="done"]', { timeout: 120000 });
  const updates = await page.evaluate(() => window.__textUpdates);
  check(updates > 1, `the answer streamed in ${updates} updates`);
  const answer = await page.locator(".msg.assistant .answer-text").innerText();
  check(answer.trim().length > 0, `the model answered: ${JSON.stringify(answer.slice(0, 80))}`);
  const receipt = await page.locator(".msg.assistant .receipt").innerText();
  check(/Fee/.test(receipt) && /OPEN/.test(receipt), "the answer shows its fee");
  await page.waitForSelector(".msg.assistant .attribution", { timeout: 120000 });
  const spans = Number(await page.locator(".msg.assistant .attribution").getAttribute("data-spans"));
  check(spans > 0, `the answer's spans found in the Datanet are highlighted (${spans})`);
  const spanLink = page.locator(".msg.assistant a.span").first();
  check((await spanLink.getAttribute("href"))?.startsWith("/contributions/"), "a highlighted span links to its row");
  await page.waitForSelector('.msg.assistant .attribution figure[data-drawn="true"] canvas', { timeout: 10000 });
  check(true, "the weights per contribution are drawn as a chart");
  check((await page.locator(".msg.assistant .influential li").count()) > 0, "the most influential rows are listed");
  await page.waitForSelector('.msg.assistant [data-settled="done"]', { timeout: 60000 });
  await page.locator(".msg.assistant .receipt button").click();
  await page.waitForSelector(".msg.assistant .receipt [data-verdict]", { timeout: 30000 });
  check((await page.locator(".msg.assistant .receipt [data-verdict]").getAttribute("data-verdict")) === "verified", "the settled receipt verifies in the browser");
  await page.screenshot({ path: join(shots, "playground-1280.png"), fullPage: true });
  // Follow the span to its row: the contribution page shows it highlighted.
  await spanLink.click();
  await page.waitForSelector(".row.highlight", { timeout: 30000 });
  check(page.url().includes("/contributions/"), "following a span opens the contribution with the row highlighted");
  check(page.errors.length === 0, `playground: no console errors ${page.errors.join(" | ")}`);
}

// ---- a priced model without an API key: the node's 401 is shown, and the next turn works ----
{
  const page = await newPage(1280, 401);
  await visit(page, `/playground?model=${encodeURIComponent(model)}`, []);
  await page.fill("#apikey", "");
  await page.fill("#message", prompt);
  await page.click("#send");
  await page.waitForSelector('.msg.assistant[data-state="done"] .error');
  const error = await page.locator(".msg.assistant .error").innerText();
  check(/api key|Authorization|401|missing/i.test(error), `an unpaid question shows the node's error: ${JSON.stringify(error.slice(0, 100))}`);
  check(page.errors.length === 0, `playground without a key: no other console errors ${page.errors.join(" | ")}`);
}

// ---- every page, wide and narrow ----
const pages = [
  ["/", ["Overview", "Top earners", "Fees paid"], "overview"],
  ["/datanets", [d.name], "datanets"],
  [`/datanets/${datanet}`, [d.name, "Versions"], "datanet"],
  [`/datanets/${datanet}?tab=rows`, ["rows 1–"], "datanet-rows"],
  [`/datanets/${datanet}?tab=contributions`, [contributions[0].id.slice(0, 8)], null],
  [`/datanets/${datanet}?tab=leaderboard`, ["Accepted rows"], null],
  [`/contributions/${contributions[0].id}`, ["Validation report", "Rows"], "contribution"],
  ["/models", [m.name], "models"],
  [`/models/${m.id}`, [m.name, "Lineage", d.name], "model"],
  ["/accounts", ["Top earners"], null],
  [`/accounts/${account}`, ["Balance", "Earnings over time", "Receipts"], "account"],
  ["/blocks", ["Height"], "blocks"],
  [`/blocks/${txBlock.height}`, [`Block ${txBlock.height}`], null],
  [`/tx/${txHash}`, ["Transaction", "Proof"], "tx"],
  ["/verify", ["Verify a proof"], null],
];
for (const width of [1280, 390]) {
  const page = await newPage(width);
  for (const [path, expect, name] of pages) await visit(page, path, expect, name);
  check(page.errors.length === 0, `${width}px pages: no console errors ${page.errors.join(" | ")}`);
  await page.context().close();
}

// ---- what the pages show ----
{
  const page = await newPage(1280);
  await visit(page, "/", []);
  check((await page.locator("main").innerText()).includes(account.slice(0, 9)), "the overview lists the earner among the top earners");
  await visit(page, `/models/${m.id}`, []);
  const contributors = new Set(contributions.filter((c) => c.status === "accepted").map((c) => c.contributor));
  check((await page.locator("svg.lineage .node.contributor").count()) === contributors.size, `the lineage graph shows the ${contributors.size} contributors`);
  await visit(page, `/accounts/${account}`, []);
  await page.waitForSelector('main figure[data-drawn="true"] canvas', { timeout: 10000 });
  check(true, "the account's earnings are charted");
  check((await page.locator("main table a[href^='/receipts/']").count()) >= 1, "the account lists its receipts");

  // Proofs in the browser: an account, a row, a tx.
  await page.getByRole("button", { name: "Verify balance in the browser" }).click();
  await page.waitForSelector("[data-verdict]");
  check((await page.getAttribute("[data-verdict]", "data-verdict")) === "verified", "the account's balance verifies in the browser");
  await visit(page, `/datanets/${datanet}?tab=rows`, []);
  await page.locator("ol.rows li").first().getByRole("button", { name: "Verify row" }).click();
  await page.waitForSelector("ol.rows [data-verdict]");
  check((await page.getAttribute("ol.rows [data-verdict]", "data-verdict")) === "verified", "a Datanet row verifies in the browser");
  await visit(page, `/tx/${txHash}`, []);
  await page.getByRole("button", { name: "Verify in the browser" }).click();
  await page.waitForSelector("[data-verdict]");
  check((await page.getAttribute("[data-verdict]", "data-verdict")) === "verified", "a transaction verifies in the browser");
  await page.screenshot({ path: join(shots, "tx-verified-1280.png"), fullPage: true });

  // The Verify page: a proof pasted as is, then tampered with.
  const proof = await api(`/v1/tx/${txHash}`);
  await visit(page, "/verify", []);
  await page.fill("#proof-input", JSON.stringify(proof));
  await page.click("form button[type=submit]");
  await page.waitForSelector("#verify-out [data-verdict]");
  check((await page.getAttribute("#verify-out [data-verdict]", "data-verdict")) === "verified", "a pasted tx proof verifies");
  const tampered = structuredClone(proof);
  const raw = tampered.proof.tx;
  const at = raw.length - 140; // inside the payload
  tampered.proof.tx = raw.slice(0, at) + (raw[at] === "0" ? "1" : "0") + raw.slice(at + 1);
  await page.fill("#proof-input", JSON.stringify(tampered));
  await page.click("form button[type=submit]");
  await page.waitForSelector('#verify-out [data-verdict="failed"]');
  const verdict = await page.locator("#verify-out").innerText();
  check(/Not verified/.test(verdict) && /tx root/.test(verdict), "a tampered tx proof fails, naming the tx root");
  await page.screenshot({ path: join(shots, "verify-tampered-1280.png"), fullPage: true });
  await page.fill("#proof-input", "{not json");
  await page.click("form button[type=submit]");
  await page.waitForSelector("#verify-out .error");
  check(true, "text that is not JSON is refused with a message");

  // Keyboard: the skip link comes first and moves focus to the content; the menu works by keys.
  await page.goto(base + "/", { waitUntil: "networkidle" });
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement?.textContent)) === "Skip to content", "the first Tab reaches the skip link");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement?.textContent)) === "Datanets", "Tab walks the menu in order");
  await page.keyboard.press("Enter");
  await page.waitForURL(base + "/datanets");
  await page.waitForFunction(() => document.querySelector("main h1")?.textContent === "Datanets");
  check(true, "Enter on a menu link navigates to a real URL (/datanets)");
  await page.goBack();
  await page.waitForFunction(() => document.querySelector("main h1")?.textContent === "Overview");
  check(true, "Back returns to the previous page");

  // Unknown paths inside the app and the API.
  await page.goto(base + "/no/such/page", { waitUntil: "networkidle" });
  check((await page.locator("main h1").innerText()) === "Not found", "an unknown app path shows Not found");
  check(page.errors.length === 0, `no console errors ${page.errors.join(" | ")}`);
}

await browser.close();
// How long each page took from navigation until its content was drawn, for docs/benchmarks.md.
const wide = timings.filter(([, w]) => w === 1280).map(([, , ms]) => ms).sort((a, b) => a - b);
if (wide.length) {
  const q = (f) => wide[Math.min(wide.length - 1, Math.floor(f * wide.length))];
  console.log(`page loads at 1280 px: ${wide.length} pages, median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${wide[wide.length - 1]} ms`);
  for (const [path, w, ms] of timings.filter(([, w]) => w === 1280)) console.log(`  ${String(ms).padStart(5)} ms  ${path}`);
}
if (failures) {
  console.error(`${failures} web app check(s) failed`);
  process.exit(1);
}
console.log("web app checks passed");
