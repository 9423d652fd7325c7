// Client-side routing on real URLs (History API): every page has an address that can be shared
// or reloaded (the node answers index.html for app paths). Plain clicks on same-origin links are
// taken here; modified clicks (new tab) and external links are left to the browser.

export interface Route {
  pattern: RegExp;
  title: string;
  render: (params: string[], query: URLSearchParams) => Promise<Node> | Node;
}

export interface Match {
  route: Route;
  params: string[];
}

export function match(routes: Route[], path: string): Match | null {
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1).map(decodeURIComponent) };
  }
  return null;
}

let onNavigate: () => void = () => {};

export function startRouter(render: () => void): void {
  onNavigate = render;
  window.addEventListener("popstate", () => render());
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest?.("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/v1/")) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  render();
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  onNavigate();
}

//! Changes the query of the current URL (tabs, pages) without adding a history entry per keystroke.
export function setQuery(changes: Record<string, string | null>, push = true): void {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  navigate(url.pathname + url.search, !push);
}
