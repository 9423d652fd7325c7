// Datanets: the list; one Datanet's versions, rows (with provenance and proofs checked in the
// browser), contributions and leaderboard; one contribution with its validation report, where a
// near-duplicate links to the row it matched.
import { get } from "../api";
import { type Child, facts, h, link, table } from "../dom";
import { formatNumber, formatTime, formatTokens, shortAddress, shortHash } from "../format";
import { setQuery } from "../router";
import { proofButton } from "./verify";

interface Datanet {
  id: number;
  name: string;
  summary: string;
  description: string;
  license: string;
  policy: string;
  owner: string;
  tags: string[];
  stake: string;
  created_height: number;
  stats: { accepted: number; accepted_rows: number; contributions: number; contributors: number; pending: number; rejected: number; versions: number };
}

interface Version {
  datanet: number;
  version: number;
  root: string;
  contributions: number;
  rows: number;
  bytes: number;
  height: number;
  timestamp_ms: number;
}

interface Row {
  index: number;
  row: Record<string, unknown> | string;
  row_id: string;
  contribution: string;
  contributor: string;
}

const kPage = 25;

//! A row's text for people: prompt/response rows as two labelled parts, others as their text.
export function rowText(row: Record<string, unknown> | string): Child {
  if (typeof row === "string") return row;
  if ("prompt" in row || "response" in row) {
    return h("div", { class: "qa" }, h("div", null, h("span", { class: "tag" }, "Q"), String(row.prompt ?? "")), h("div", null, h("span", { class: "tag" }, "A"), String(row.response ?? "")));
  }
  if ("text" in row) return String(row.text);
  return JSON.stringify(row);
}

export async function datanetsPage(): Promise<Node> {
  const { datanets } = await get<{ datanets: Datanet[] }>("/v1/datanets?limit=1000");
  return h(
    "div",
    null,
    h("h1", null, "Datanets"),
    h("p", { class: "lead" }, "Community datasets. Each accepted contribution is recorded on the ledger with its contributor; each version is a Merkle root over its rows."),
    table(
      ["#", "Name", "Summary", "License", "Policy", "Contributors", "Rows", "Versions"],
      datanets.map((d) => [
        d.id,
        link(`/datanets/${d.id}`, d.name),
        d.summary,
        d.license,
        d.policy,
        formatNumber(d.stats.contributors),
        formatNumber(d.stats.accepted_rows),
        formatNumber(d.stats.versions),
      ]),
      { empty: "No Datanets yet: create one with `tributary datanet create`." },
    ),
  );
}

const tabs: [string, string][] = [
  ["versions", "Versions"],
  ["rows", "Rows"],
  ["contributions", "Contributions"],
  ["leaderboard", "Leaderboard"],
];

export async function datanetPage(id: string, q: URLSearchParams): Promise<Node> {
  const d = await get<Datanet>(`/v1/datanets/${id}`);
  const tab = tabs.some(([t]) => t === q.get("tab")) ? q.get("tab")! : "versions";
  let body: Node;
  switch (tab) {
    case "rows":
      body = await rowsTab(d, q);
      break;
    case "contributions":
      body = await contributionsTab(d);
      break;
    case "leaderboard":
      body = await leaderboardTab(d);
      break;
    default:
      body = await versionsTab(d);
  }
  return h(
    "div",
    null,
    h("p", { class: "crumbs" }, link("/datanets", "Datanets"), " / ", `#${d.id}`),
    h("h1", null, d.name),
    h("p", { class: "lead" }, d.summary),
    d.tags.length ? h("p", null, d.tags.map((t) => h("span", { class: "pill" }, t))) : null,
    facts([
      ["Owner", link(`/accounts/${d.owner}`, shortAddress(d.owner))],
      ["License", d.license],
      ["Policy", `${d.policy}, stake ${formatTokens(d.stake)} per contribution`],
      ["Contributions", `${d.stats.accepted} accepted, ${d.stats.rejected} rejected, ${d.stats.pending} pending, from ${d.stats.contributors} contributors`],
      ["Rows", formatNumber(d.stats.accepted_rows)],
      ["Created", link(`/blocks/${d.created_height}`, `block ${d.created_height}`)],
    ]),
    d.description ? h("details", null, h("summary", null, "Description"), h("pre", { class: "prose" }, d.description)) : null,
    h(
      "nav",
      { class: "tabs", "aria-label": "Datanet sections" },
      tabs.map(([t, label]) => h("a", { href: `/datanets/${d.id}?tab=${t}`, "aria-current": t === tab ? "page" : null }, label)),
    ),
    h("section", { id: `tab-${tab}` }, body),
  );
}

async function versionsTab(d: Datanet): Promise<Node> {
  const { versions } = await get<{ versions: Version[] }>(`/v1/datanets/${d.id}/versions`);
  return table(
    ["Version", "Rows", "Contributions", "Size", "Root", "Published"],
    versions.map((v) => [
      link(`/datanets/${d.id}?tab=rows&version=${v.version}`, `v${v.version}`),
      formatNumber(v.rows),
      formatNumber(v.contributions),
      `${formatNumber(v.bytes / 1024, 1)} KiB`,
      h("code", { title: v.root }, shortHash(v.root)),
      link(`/blocks/${v.height}`, formatTime(v.timestamp_ms)),
    ]),
    { empty: "No version published yet." },
  );
}

//! Finds the index of row `rowId` in version `version` by paging through it (the node keeps no
//! index from row id to position; Datanets are read page by page here, up to 20,000 rows).
async function findRow(datanet: number, version: number, rowId: string): Promise<number | null> {
  const page = 1000;
  for (let offset = 0; offset < 20 * page; offset += page) {
    const r = await get<{ rows: Row[] }>(`/v1/datanets/${datanet}/versions/${version}/rows?offset=${offset}&limit=${page}`);
    const hit = r.rows.find((x) => x.row_id === rowId);
    if (hit) return hit.index;
    if (r.rows.length < page) break;
  }
  return null;
}

async function rowsTab(d: Datanet, q: URLSearchParams): Promise<Node> {
  if (d.stats.versions === 0) return h("p", { class: "muted" }, "No version published yet.");
  const version = Math.min(Math.max(1, Number(q.get("version") ?? d.stats.versions) || d.stats.versions), d.stats.versions);
  let offset = Math.max(0, Number(q.get("offset") ?? 0) || 0);
  const find = q.get("find");
  let highlight: number | null = null;
  let note: Node | null = null;
  if (find) {
    highlight = await findRow(d.id, version, find);
    if (highlight === null) note = h("p", { class: "error" }, `Row ${shortHash(find)} is not in version ${version}.`);
    else offset = Math.floor(highlight / kPage) * kPage;
  }
  const v = await get<Version>(`/v1/datanets/${d.id}/versions/${version}`);
  const { rows } = await get<{ rows: Row[] }>(`/v1/datanets/${d.id}/versions/${version}/rows?offset=${offset}&limit=${kPage}`);
  const select = h(
    "select",
    { id: "version-select", "aria-label": "Version" },
    Array.from({ length: d.stats.versions }, (_, i) => h("option", { value: String(i + 1), selected: i + 1 === version }, `version ${i + 1}`)),
  );
  select.addEventListener("change", () => setQuery({ version: select.value, offset: null, find: null }));
  const pager = h(
    "div",
    { class: "pager" },
    offset > 0 ? link(`/datanets/${d.id}?tab=rows&version=${version}&offset=${Math.max(0, offset - kPage)}`, "← Previous") : null,
    h("span", { class: "muted" }, `rows ${offset + 1}–${Math.min(offset + kPage, v.rows)} of ${v.rows}`),
    offset + kPage < v.rows ? link(`/datanets/${d.id}?tab=rows&version=${version}&offset=${offset + kPage}`, "Next →") : null,
  );
  return h(
    "div",
    null,
    h("div", { class: "toolbar" }, select, h("span", { class: "muted" }, "root ", h("code", null, shortHash(v.root)))),
    note,
    h(
      "ol",
      { class: "rows", start: String(offset) },
      rows.map((r) =>
        h(
          "li",
          { id: `row-${r.row_id}`, class: r.index === highlight ? "row highlight" : "row", value: String(r.index) },
          h("div", { class: "row-text" }, rowText(r.row)),
          h(
            "div",
            { class: "row-meta" },
            "by ",
            link(`/accounts/${r.contributor}`, shortAddress(r.contributor)),
            " in ",
            link(`/contributions/${r.contribution}`, shortHash(r.contribution)),
            " · row ",
            h("code", { title: r.row_id }, shortHash(r.row_id)),
          ),
          proofButton("Verify row", () => get(`/v1/datanets/${d.id}/versions/${version}/rows/${r.index}/proof`)),
        ),
      ),
    ),
    pager,
  );
}

interface Contribution {
  id: string;
  datanet: number;
  contributor: string;
  status: string;
  rows: number;
  bytes: number;
  rejected_rows: number;
  stake: string;
  content_root: string;
  files: { name: string; bytes: number; type: string }[];
  submitted_height: number;
  submitted_ms: number;
  reviewed_height?: number;
  accepted_index?: number;
  reason?: string;
  report?: { rows: ReportRow[]; accepted: number; rejected: number } | null;
  rows_page?: { offset: number; limit: number; rows: { row_id: string; row: Record<string, unknown> | string }[] } | null;
}

interface ReportRow {
  accepted: boolean;
  file: number;
  line: number;
  reason?: string;
  message?: string;
  matches?: string;
  similarity?: number;
  row: string;
}

function statusPill(s: string): HTMLElement {
  return h("span", { class: `pill status-${s}` }, s);
}

async function contributionsTab(d: Datanet): Promise<Node> {
  const { contributions } = await get<{ contributions: Contribution[] }>(`/v1/datanets/${d.id}/contributions?limit=1000`);
  return table(
    ["Contribution", "Contributor", "Status", "Rows", "Rejected rows", "Files", "Submitted"],
    contributions.map((c) => [
      link(`/contributions/${c.id}`, shortHash(c.id)),
      link(`/accounts/${c.contributor}`, shortAddress(c.contributor)),
      statusPill(c.status),
      formatNumber(c.rows),
      formatNumber(c.rejected_rows),
      c.files.map((f) => f.name).join(", "),
      link(`/blocks/${c.submitted_height}`, formatTime(c.submitted_ms)),
    ]),
    { empty: "No contributions yet." },
  );
}

async function leaderboardTab(d: Datanet): Promise<Node> {
  const { leaderboard } = await get<{ leaderboard: { contributor: string; accepted: number; accepted_rows: number; rejected: number; pending: number; slashed: number; acceptance_ratio: number }[] }>(
    `/v1/datanets/${d.id}/leaderboard`,
  );
  return table(
    ["#", "Contributor", "Accepted rows", "Accepted", "Rejected", "Pending", "Slashed", "Acceptance"],
    leaderboard.map((e, i) => [
      i + 1,
      link(`/accounts/${e.contributor}`, shortAddress(e.contributor)),
      formatNumber(e.accepted_rows),
      e.accepted,
      e.rejected,
      e.pending,
      e.slashed,
      `${Math.round(e.acceptance_ratio * 100)}%`,
    ]),
  );
}

export async function contributionPage(id: string, q: URLSearchParams): Promise<Node> {
  const c = await get<Contribution>(`/v1/contributions/${id}?rows_limit=1000`);
  const highlight = q.get("row");
  const report = c.report?.rows ?? [];
  const problems = report.filter((r) => !r.accepted);
  return h(
    "div",
    null,
    h("p", { class: "crumbs" }, link("/datanets", "Datanets"), " / ", link(`/datanets/${c.datanet}`, `#${c.datanet}`), " / contribution"),
    h("h1", null, "Contribution ", h("code", null, shortHash(c.id))),
    facts([
      ["Status", [statusPill(c.status), c.reason ? ` — ${c.reason}` : ""]],
      ["Contributor", link(`/accounts/${c.contributor}`, c.contributor)],
      ["Datanet", link(`/datanets/${c.datanet}`, `#${c.datanet}`)],
      ["Rows", `${formatNumber(c.rows)} accepted, ${formatNumber(c.rejected_rows)} rejected by validation`],
      ["Files", c.files.map((f) => `${f.name} (${formatNumber(f.bytes)} bytes)`).join(", ")],
      ["Stake", formatTokens(c.stake)],
      ["Content root", h("code", null, c.content_root)],
      ["Submitted", link(`/blocks/${c.submitted_height}`, formatTime(c.submitted_ms))],
    ]),
    h("h2", null, "Validation report"),
    report.length === 0
      ? h("p", { class: "muted" }, "No report stored on this node.")
      : [
          h("p", null, `${c.report!.accepted} rows passed, ${c.report!.rejected} were rejected.`),
          table(
            ["File line", "Verdict", "Why", "Similar to"],
            problems.map((r) => [
              `${c.files[r.file]?.name ?? r.file}:${r.line}`,
              h("span", { class: "pill status-rejected" }, r.reason ?? "rejected"),
              r.message ?? "",
              r.matches ? link(`/datanets/${c.datanet}?tab=rows&find=${r.matches}#row-${r.matches}`, `row ${shortHash(r.matches)}`, r.similarity !== undefined ? ` (${Math.round(r.similarity * 100)}%)` : "") : "—",
            ]),
            { empty: "Every row passed validation." },
          ),
        ],
    h("h2", null, "Rows"),
    c.rows_page && c.rows_page.rows.length
      ? h(
          "ol",
          { class: "rows" },
          c.rows_page.rows.map((r) => h("li", { id: `row-${r.row_id}`, class: r.row_id === highlight ? "row highlight" : "row" }, h("div", { class: "row-text" }, rowText(r.row)), h("div", { class: "row-meta" }, "row ", h("code", { title: r.row_id }, shortHash(r.row_id))))),
        )
      : h("p", { class: "muted" }, "This node does not store this contribution's rows."),
  );
}
