// A small hyperscript helper: the pages are tables, lists and forms, and plain DOM built by h()
// keeps the bundle small and the markup semantic (keyboard and screen-reader friendly as is).

export type Child = Node | string | number | bigint | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    } else if (k === "class") {
      el.className = String(v);
    } else if (k === "value" && "value" in el) {
      (el as HTMLInputElement).value = String(v);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export const svgNs = "http://www.w3.org/2000/svg";

export function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElement {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

//! An in-app link: a real URL (shareable, opens in a new tab with a middle click); the router
//! takes plain clicks.
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h("a", { href }, ...children);
}

//! A definition list from [label, value] pairs.
export function facts(pairs: [string, Child][]): HTMLDListElement {
  return h(
    "dl",
    { class: "facts" },
    pairs.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
  );
}

export function table(headers: string[], rows: Child[][], opts: { caption?: string; empty?: string } = {}): HTMLElement {
  if (rows.length === 0) return h("p", { class: "muted" }, opts.empty ?? "Nothing yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      opts.caption ? h("caption", null, opts.caption) : null,
      h("thead", null, h("tr", null, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", null, rows.map((r) => h("tr", null, r.map((c) => h("td", null, c))))),
    ),
  );
}

export function card(title: string, value: Child, note?: Child): HTMLElement {
  return h("div", { class: "card" }, h("div", { class: "card-title" }, title), h("div", { class: "card-value" }, value), note ? h("div", { class: "card-note" }, note) : null);
}

export function errorBox(e: unknown): HTMLElement {
  const err = e as { code?: string; message?: string };
  return h("div", { class: "error", role: "alert" }, h("strong", null, err.code ?? "error"), ": ", err.message ?? String(e));
}

export function loading(): HTMLElement {
  return h("p", { class: "muted", "aria-busy": "true" }, "Loading…");
}
