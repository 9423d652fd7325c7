// A model's lineage as a layered graph: base model -> Datanet versions -> contributors. Three
// fixed columns need no general graph layout (a library such as dagre would lay out arbitrary
// graphs; this one is always three layers), so it is drawn as SVG directly, with real links.
import { svg } from "./dom";
import { shortAddress } from "./format";

export interface LineageNode {
  id: string;
  label: string;
  sub?: string;
  href?: string;
}

export interface Lineage {
  base: LineageNode;
  versions: LineageNode[];
  contributors: LineageNode[];
  edges: [string, string, number][]; //!< version id -> contributor id, rows
}

const kW = 220;
const kH = 46;
const kGapY = 14;
const kCol = [10, 300, 590];

export function lineageGraph(l: Lineage, title: string): SVGElement {
  const rows = Math.max(1, l.versions.length, l.contributors.length);
  const height = rows * (kH + kGapY) + 20;
  const pos = new Map<string, { x: number; y: number }>();
  const place = (nodes: LineageNode[], col: number) => {
    const top = (height - nodes.length * (kH + kGapY)) / 2;
    nodes.forEach((n, i) => pos.set(n.id, { x: kCol[col], y: top + i * (kH + kGapY) + kGapY / 2 }));
  };
  place([l.base], 0);
  place(l.versions, 1);
  place(l.contributors, 2);
  const edge = (a: string, b: string, label?: string) => {
    const p = pos.get(a)!;
    const q = pos.get(b)!;
    const x1 = p.x + kW;
    const y1 = p.y + kH / 2;
    const x2 = q.x;
    const y2 = q.y + kH / 2;
    const mx = (x1 + x2) / 2;
    return svg(
      "g",
      { class: "edge" },
      svg("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, fill: "none" }),
      label ? svg("title", {}, label) : null,
    );
  };
  const node = (n: LineageNode, kind: string) => {
    const p = pos.get(n.id)!;
    const box = svg(
      "g",
      { class: `node ${kind}`, transform: `translate(${p.x},${p.y})` },
      svg("rect", { width: kW, height: kH, rx: 8 }),
      svg("text", { x: 10, y: 19 }, n.label),
      n.sub ? svg("text", { x: 10, y: 36, class: "sub" }, n.sub) : null,
    );
    if (!n.href) return box;
    const a = svg("a", { href: n.href, "aria-label": `${n.label}${n.sub ? ", " + n.sub : ""}` }, box);
    return a;
  };
  return svg(
    "svg",
    { class: "lineage", viewBox: `0 0 ${kCol[2] + kW + 10} ${height}`, role: "img", "aria-label": title },
    svg("title", {}, title),
    l.versions.map((v) => edge(l.base.id, v.id)),
    l.edges.map(([v, c, rows]) => edge(v, c, `${rows} rows`)),
    node(l.base, "base"),
    l.versions.map((v) => node(v, "version")),
    l.contributors.map((c) => node({ ...c, label: c.label.startsWith("trb") ? shortAddress(c.label) : c.label }, "contributor")),
  );
}
