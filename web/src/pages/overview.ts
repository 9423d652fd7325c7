// Overview: the chain's pulse (height, block interval, transactions per second), what is on it
// (Datanets, models), what was paid, and who earned it.
import { chainInfo, get } from "../api";
import { barChart } from "../charts";
import { card, h, link, table } from "../dom";
import { type BlockSummary, rates } from "../chain-stats";
import { ago, formatNumber, formatTokens, shortAddress } from "../format";

export async function overviewPage(): Promise<Node> {
  const [chain, blocks, datanets, models, earners] = await Promise.all([
    chainInfo(),
    get<{ height: number; blocks: BlockSummary[] }>("/v1/blocks?limit=50"),
    get<{ datanets: unknown[] }>("/v1/datanets?limit=1000"),
    get<{ models: unknown[]; total?: number }>("/v1/models"),
    get<{ fees_paid: string; answers: number; total_earned: string; earners: { account: string; total: string; credits: number; by_role: Record<string, string> }[] }>(
      "/v1/earners?limit=10",
    ),
  ]);
  const r = rates(blocks.blocks);
  const chronological = [...blocks.blocks].reverse();
  return h(
    "div",
    null,
    h("h1", null, "Overview"),
    h("p", { class: "lead" }, `Chain ${chain.chain_id}: community data, models fine-tuned on it, and answers paid for, with every fee traced to the contributors who earned it.`),
    h(
      "section",
      { class: "cards", "aria-label": "Key figures" },
      card("Height", link(`/blocks/${blocks.height}`, formatNumber(blocks.height)), blocks.blocks[0] ? `last block ${ago(blocks.blocks[0].timestamp_ms)}` : null),
      card("Block interval", r.interval === null ? "—" : `${r.interval.toFixed(2)} s`, `over the last ${blocks.blocks.length} blocks`),
      card("Transactions / s", r.tps === null ? "—" : formatNumber(r.tps, r.tps < 1 ? 3 : 1)),
      card("Datanets", link("/datanets", formatNumber(datanets.datanets.length))),
      card("Models", link("/models", formatNumber(models.total ?? models.models.length))),
      card("Fees paid", formatTokens(earners.fees_paid, { maxFraction: 4 }), `${formatNumber(earners.answers)} paid answers`),
    ),
    h(
      "div",
      { class: "grid-2" },
      h(
        "section",
        null,
        h("h2", null, "Top earners"),
        table(
          ["Account", "Earned", "Credits", "As"],
          earners.earners.map((e) => [
            link(`/accounts/${e.account}`, shortAddress(e.account)),
            formatTokens(e.total),
            formatNumber(e.credits),
            Object.keys(e.by_role).join(", "),
          ]),
          { empty: "No paid answers yet: ask a priced model in the Playground." },
        ),
      ),
      h(
        "section",
        null,
        h("h2", null, "Transactions per block"),
        barChart("Transactions in each of the last blocks", {
          labels: chronological.map((b) => String(b.height)),
          values: chronological.map((b) => b.tx_count),
          label: "transactions",
        }),
      ),
    ),
  );
}
