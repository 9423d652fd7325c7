// Blocks and transactions, each transaction provable in the browser.
import { get } from "../api";
import { facts, h, link, table } from "../dom";
import { ago, formatTime, formatTokens, shortAddress, shortHash } from "../format";
import { proofButton } from "./verify";
import type { BlockSummary } from "../chain-stats";

const kPage = 25;

export async function blocksPage(q: URLSearchParams): Promise<Node> {
  const before = q.get("before");
  const list = await get<{ height: number; blocks: BlockSummary[] }>(`/v1/blocks?limit=${kPage}${before ? `&before=${encodeURIComponent(before)}` : ""}`);
  const last = list.blocks[list.blocks.length - 1];
  return h(
    "div",
    null,
    h("h1", null, "Blocks"),
    table(
      ["Height", "Hash", "Transactions", "Time"],
      list.blocks.map((b) => [link(`/blocks/${b.height}`, String(b.height)), h("code", null, shortHash(b.hash)), b.tx_count, h("span", { title: formatTime(b.timestamp_ms) }, ago(b.timestamp_ms))]),
    ),
    h(
      "div",
      { class: "pager" },
      before ? link("/blocks", "← Newest") : null,
      last && last.height > 0 ? link(`/blocks?before=${last.height}`, "Older →") : null,
    ),
  );
}

export async function blockPage(height: string): Promise<Node> {
  const b = await get<BlockSummary & { prev_hash: string; state_root: string; tx_root: string; receipts_root: string; txs: string[]; chain_id: string }>(`/v1/blocks/${height}`);
  const n = Number(height);
  return h(
    "div",
    null,
    h("p", { class: "crumbs" }, link("/blocks", "Blocks"), " / ", height),
    h("h1", null, `Block ${height}`),
    h("p", { class: "pager" }, n > 0 ? link(`/blocks/${n - 1}`, "← Previous") : null, link(`/blocks/${n + 1}`, "Next →")),
    facts([
      ["Hash", h("code", null, b.hash)],
      ["Previous", n > 0 ? link(`/blocks/${n - 1}`, h("code", null, b.prev_hash)) : "—"],
      ["Time", formatTime(b.timestamp_ms)],
      ["Proposer", h("code", null, b.proposer)],
      ["State root", h("code", null, b.state_root)],
      ["Tx root", h("code", null, b.tx_root)],
      ["Receipts root", h("code", null, b.receipts_root)],
    ]),
    h("h2", null, `${b.tx_count} transactions`),
    table(["#", "Hash"], b.txs.map((t, i) => [i, link(`/tx/${t}`, h("code", null, t))]), { empty: "An empty block." }),
  );
}

export async function txPage(hash: string): Promise<Node> {
  const t = await get<any>(`/v1/tx/${hash}`);
  const tx = t.tx ?? {};
  const receipt = t.receipt ?? {};
  const events = (receipt.events ?? []) as { type: string; attrs: Record<string, string> | [string, string][] }[];
  return h(
    "div",
    null,
    h("p", { class: "crumbs" }, link("/blocks", "Blocks"), " / ", link(`/blocks/${t.height}`, String(t.height)), " / tx"),
    h("h1", null, "Transaction ", h("code", null, shortHash(hash))),
    facts([
      ["Kind", tx.kind ?? "—"],
      ["From", tx.from ? link(`/accounts/${tx.from}`, shortAddress(tx.from)) : "—"],
      ["Nonce", String(tx.nonce ?? "—")],
      ["Block", link(`/blocks/${t.height}`, `${t.height}, index ${t.index}`)],
      ["Status", receipt.status ?? "—"],
      ["Fee", receipt.fee_charged !== undefined ? formatTokens(String(receipt.fee_charged)) : "—"],
      receipt.error ? ["Error", receipt.error] : ["", ""],
    ]),
    h("h2", null, "Proof"),
    proofButton("Verify in the browser", async () => t),
    h("h2", null, "Payload"),
    h("p", { class: "muted" }, "As the node decodes the payload bytes; Verify checks those bytes (tx.raw) against the block."),
    h("pre", { class: "json" }, JSON.stringify(tx.payload ?? null, null, 2)),
    events.length
      ? [
          h("h2", null, "Events"),
          table(
            ["Event", "Attributes"],
            events.map((e) => [e.type, h("code", { class: "wrap" }, (Array.isArray(e.attrs) ? e.attrs : Object.entries(e.attrs ?? {})).map(([k, v]) => `${k}=${v}`).join("  "))]),
          ),
        ]
      : null,
  );
}
