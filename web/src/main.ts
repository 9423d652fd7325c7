// The app's shell: navigation, the route table, and rendering of the current page into <main>.
import "./style.css";
import { get } from "./api";
import { errorBox, h, loading, replace } from "./dom";
import { type Route, match, startRouter } from "./router";
import { accountPage, accountsPage } from "./pages/accounts";
import { blockPage, blocksPage, txPage } from "./pages/blocks";
import { contributionPage, datanetPage, datanetsPage } from "./pages/datanets";
import { modelPage, modelsPage } from "./pages/models";
import { overviewPage } from "./pages/overview";
import { playgroundPage } from "./pages/playground";
import { receiptPage, verifyPage } from "./pages/verify";

const routes: Route[] = [
  { pattern: /^\/$/, title: "Overview", render: () => overviewPage() },
  { pattern: /^\/datanets\/?$/, title: "Datanets", render: () => datanetsPage() },
  { pattern: /^\/datanets\/(\d+)$/, title: "Datanet", render: ([id], q) => datanetPage(id, q) },
  { pattern: /^\/contributions\/([0-9a-f]{64})$/, title: "Contribution", render: ([id], q) => contributionPage(id, q) },
  { pattern: /^\/models\/?$/, title: "Models", render: () => modelsPage() },
  { pattern: /^\/models\/([^/]+)$/, title: "Model", render: ([id]) => modelPage(id) },
  { pattern: /^\/playground\/?$/, title: "Playground", render: (_, q) => playgroundPage(q) },
  { pattern: /^\/accounts\/?$/, title: "Accounts", render: () => accountsPage() },
  { pattern: /^\/accounts\/(trb[0-9a-f]{48})$/, title: "Account", render: ([a]) => accountPage(a) },
  { pattern: /^\/blocks\/?$/, title: "Blocks", render: (_, q) => blocksPage(q) },
  { pattern: /^\/blocks\/(\d+)$/, title: "Block", render: ([n]) => blockPage(n) },
  { pattern: /^\/tx\/([0-9a-f]{64})$/, title: "Transaction", render: ([hash]) => txPage(hash) },
  { pattern: /^\/receipts\/([^/]+)$/, title: "Receipt", render: ([id]) => receiptPage(id) },
  { pattern: /^\/verify\/?$/, title: "Verify a proof", render: () => verifyPage() },
];

const nav: [string, string][] = [
  ["/", "Overview"],
  ["/datanets", "Datanets"],
  ["/models", "Models"],
  ["/playground", "Playground"],
  ["/accounts", "Accounts"],
  ["/blocks", "Blocks"],
  ["/verify", "Verify"],
];

const main = h("main", { id: "main", tabindex: "-1" });
const height = h("span", { class: "height", "aria-live": "off" });
const navLinks = nav.map(([href, text]) => h("a", { href }, text));
const shell = h(
  "div",
  { class: "shell" },
  h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: "/" }, h("span", { class: "logo", "aria-hidden": "true" }, "◆"), "Tributary"),
    h("nav", { "aria-label": "Main" }, navLinks),
    height,
  ),
  main,
  h("footer", null, "Every number here comes from this node's API; proofs are checked in your browser."),
);
document.getElementById("app")!.appendChild(shell);

let renderSeq = 0;
let firstRender = true;
async function render(): Promise<void> {
  const seq = ++renderSeq;
  const path = location.pathname;
  for (const [i, [href]] of nav.entries()) {
    const current = href === "/" ? path === "/" : path === href || path.startsWith(href + "/");
    if (current) navLinks[i].setAttribute("aria-current", "page");
    else navLinks[i].removeAttribute("aria-current");
  }
  const m = match(routes, path);
  if (!m) {
    document.title = "Not found · Tributary";
    replace(main, h("h1", null, "Not found"), h("p", null, `No page at ${path}.`));
    return;
  }
  document.title = `${m.route.title} · Tributary`;
  replace(main, loading());
  let page: Node;
  try {
    page = await m.route.render(m.params, new URLSearchParams(location.search));
  } catch (e) {
    page = h("div", null, h("h1", null, m.route.title), errorBox(e));
  }
  if (seq !== renderSeq) return; // a later navigation won
  replace(main, page);
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  else window.scrollTo(0, 0);
  // After a navigation, focus moves to the new content (as a page load would put it at the top);
  // on the first load it stays at the start of the document, where the skip link is.
  if (!firstRender) main.focus({ preventScroll: true });
  firstRender = false;
}

async function pollHeight(): Promise<void> {
  try {
    const hz = await get<{ height: number }>("/healthz");
    height.textContent = `block ${hz.height.toLocaleString("en-US")}`;
  } catch {
    height.textContent = "node unreachable";
  }
}

startRouter(() => void render());
void pollHeight();
setInterval(() => void pollHeight(), 4000);
