// Models: the registered adapters with their price; one model's lineage as a graph (base ->
// Datanet versions -> contributors), its metrics, and a way to ask it.
import { get } from "../api";
import { facts, h, link, table } from "../dom";
import { formatNumber, formatTime, formatTokens, ppm, shortAddress, shortHash } from "../format";
import { type Lineage, lineageGraph } from "../lineage";

interface Model {
  id: number;
  name: string;
  openai_id: string;
  owner: string;
  price_per_1k_tokens: string;
  contributors_share_ppm: number;
  base_hash: string;
  adapter_hash: string;
  config_hash: string;
  data: { datanet: number; version: number; root: string }[];
  metrics: Record<string, number | string>;
  registered_height: number;
  registered_ms: number;
  lineage?: {
    data: {
      datanet: number;
      version: number;
      name: string;
      license: string;
      root: string;
      contributors: { contributor: string; rows: number; contributions: number }[];
    }[];
  };
}

export async function modelsPage(): Promise<Node> {
  const { models, data } = await get<{ models: Model[]; data: { id: string; parent: string | null; tributary?: { price_per_1k_tokens?: string } }[] }>("/v1/models");
  const base = data.find((m) => m.parent === null);
  return h(
    "div",
    null,
    h("h1", null, "Models"),
    h("p", { class: "lead" }, "LoRA adapters fine-tuned on Datanet versions and registered on the ledger with their lineage. One base model serves them all."),
    table(
      ["#", "Name", "Data", "Price / 1k tokens", "To contributors", "Owner", "Registered", ""],
      models.map((m) => [
        m.id,
        link(`/models/${m.id}`, m.name),
        m.data.map((d) => `${d.datanet}@${d.version}`).join(", "),
        formatTokens(m.price_per_1k_tokens),
        ppm(m.contributors_share_ppm, 0),
        link(`/accounts/${m.owner}`, shortAddress(m.owner)),
        link(`/blocks/${m.registered_height}`, formatTime(m.registered_ms)),
        link(`/playground?model=${encodeURIComponent(m.openai_id)}`, "Ask"),
      ]),
      { empty: "No models registered yet: train one with `tributary factory train` and `tributary model register`." },
    ),
    base ? h("p", { class: "muted" }, "Also served: the base model (", link(`/playground?model=${base.id}`, base.id), "), free of charge, with no attribution.") : null,
  );
}

export function modelLineage(m: Model): Lineage {
  const l: Lineage = {
    base: { id: "base", label: "Base model", sub: shortHash(m.base_hash, 10, 0) },
    versions: [],
    contributors: [],
    edges: [],
  };
  const seen = new Set<string>();
  for (const d of m.lineage?.data ?? m.data.map((x) => ({ ...x, name: `Datanet ${x.datanet}`, license: "", contributors: [] }))) {
    const vid = `v:${d.datanet}@${d.version}`;
    l.versions.push({ id: vid, label: d.name, sub: `version ${d.version}${d.license ? " · " + d.license : ""}`, href: `/datanets/${d.datanet}?tab=rows&version=${d.version}` });
    for (const c of d.contributors) {
      const cid = `c:${c.contributor}`;
      if (!seen.has(cid)) {
        seen.add(cid);
        l.contributors.push({ id: cid, label: c.contributor, sub: `${formatNumber(c.rows)} rows`, href: `/accounts/${c.contributor}` });
      }
      l.edges.push([vid, cid, c.rows]);
    }
  }
  return l;
}

export async function modelPage(id: string): Promise<Node> {
  const m = await get<Model>(`/v1/models/${encodeURIComponent(id)}`);
  const metrics = Object.entries(m.metrics ?? {});
  return h(
    "div",
    null,
    h("p", { class: "crumbs" }, link("/models", "Models"), " / ", `#${m.id}`),
    h("h1", null, m.name, " ", h("span", { class: "muted" }, m.openai_id)),
    h("p", null, link(`/playground?model=${encodeURIComponent(m.openai_id)}`, h("span", { class: "button-like" }, "Ask this model"))),
    facts([
      ["Price", `${formatTokens(m.price_per_1k_tokens)} per 1,000 tokens`],
      ["Contributors' share", `${ppm(m.contributors_share_ppm, 0)} of each fee, split by attribution`],
      ["Owner", link(`/accounts/${m.owner}`, m.owner)],
      ["Registered", link(`/blocks/${m.registered_height}`, formatTime(m.registered_ms))],
      ["Base", h("code", null, m.base_hash)],
      ["Adapter", h("code", null, m.adapter_hash)],
      ["Training config", h("code", null, m.config_hash)],
    ]),
    h("h2", null, "Lineage"),
    h("div", { class: "lineage-wrap" }, lineageGraph(modelLineage(m), `Lineage of ${m.name}: base model, Datanet versions, contributors`)),
    h("h2", null, "Metrics"),
    table(
      ["Metric", "Value"],
      metrics.map(([k, v]) => [k.replace(/_/g, " "), typeof v === "number" ? formatNumber(v, 4) : v]),
      { empty: "No metrics recorded." },
    ),
  );
}
