// Accounts: balance and stake (provable in the browser), earnings over time and by Datanet,
// model and contribution, and the paid answers the account took part in.
import { get } from "../api";
import { hbarChart, lineChart } from "../charts";
import { card, facts, h, link, table } from "../dom";
import { type AccountReceipt, cumulativeEarnings } from "../earnings";
import { formatBase, formatNumber, formatTime, formatTokens, shortAddress, shortHash } from "../format";
import { navigate } from "../router";
import { proofButton } from "./verify";

export async function accountsPage(): Promise<Node> {
  const input = h("input", { id: "address", name: "address", placeholder: "trb…", pattern: "trb[0-9a-f]{48}", required: true, size: "56", "aria-label": "Account address" });
  const form = h("form", { class: "toolbar" }, input, h("button", { type: "submit" }, "Open"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    navigate(`/accounts/${input.value.trim()}`);
  });
  const earners = await get<{ earners: { account: string; total: string; credits: number }[] }>("/v1/earners?limit=25");
  return h(
    "div",
    null,
    h("h1", null, "Accounts"),
    form,
    h("h2", null, "Top earners"),
    table(
      ["Account", "Earned", "Credits"],
      earners.earners.map((e) => [link(`/accounts/${e.account}`, e.account), formatTokens(e.total), formatNumber(e.credits)]),
      { empty: "Nobody has earned from a paid answer yet." },
    ),
  );
}

export async function accountPage(address: string): Promise<Node> {
  const [acct, earnings, receipts, staking] = await Promise.all([
    get<{ address: string; balance: string; staked?: string; unbonding?: string; nonce: number; height: number; proof: unknown }>(`/v1/accounts/${address}?prove=1`),
    get<{
      total: string;
      credits: number;
      by_role: Record<string, string>;
      by_model: { model: number; amount: string }[];
      by_datanet: { datanet: number; amount: string }[];
      by_contribution: { contribution: string; amount: string }[];
      by_day: { day: string; amount: string }[];
    }>(`/v1/accounts/${address}/earnings`),
    get<{ receipts: AccountReceipt[] }>(`/v1/accounts/${address}/receipts?limit=200`),
    get<any>(`/v1/staking?account=${address}`).catch(() => null),
  ]);
  const curve = cumulativeEarnings(receipts.receipts);
  const tokens = (units: string) => Number(formatBase(units));
  return h(
    "div",
    null,
    h("p", { class: "crumbs" }, link("/accounts", "Accounts"), " / ", shortAddress(address)),
    h("h1", null, "Account ", h("code", { class: "wrap" }, address)),
    h(
      "section",
      { class: "cards", "aria-label": "Holdings" },
      card("Balance", formatTokens(acct.balance)),
      card("Staked", formatTokens(acct.staked ?? staking?.account?.staked ?? "0")),
      card("Unbonding", formatTokens(acct.unbonding ?? "0")),
      card("Earned", formatTokens(earnings.total), `${formatNumber(earnings.credits)} credits`),
      staking?.account?.claimable !== undefined ? card("Staking rewards", formatTokens(staking.account.claimable), "claimable") : null,
    ),
    facts([
      ["Nonce", String(acct.nonce)],
      ["As of", link(`/blocks/${acct.height}`, `block ${acct.height}`)],
    ]),
    proofButton("Verify balance in the browser", async () => acct),
    h("h2", null, "Earnings over time"),
    curve.values.length ? lineChart("Cumulative earnings (OPEN)", { ...curve, label: "OPEN earned" }) : h("p", { class: "muted" }, "No earnings yet."),
    h(
      "div",
      { class: "grid-2" },
      h(
        "section",
        null,
        h("h3", null, "By role"),
        table(["Role", "Earned"], Object.entries(earnings.by_role).map(([r, a]) => [r, formatTokens(a)])),
        h("h3", null, "By Datanet"),
        table(["Datanet", "Earned"], earnings.by_datanet.map((d) => [link(`/datanets/${d.datanet}`, `#${d.datanet}`), formatTokens(d.amount)])),
        h("h3", null, "By model"),
        table(["Model", "Earned"], earnings.by_model.map((m) => [link(`/models/${m.model}`, `#${m.model}`), formatTokens(m.amount)])),
      ),
      h(
        "section",
        null,
        h("h3", null, "By contribution"),
        earnings.by_contribution.length
          ? hbarChart("Earned per contribution (OPEN)", {
              labels: earnings.by_contribution.map((c) => shortHash(c.contribution)),
              values: earnings.by_contribution.map((c) => tokens(c.amount)),
              label: "OPEN",
            })
          : null,
        table(["Contribution", "Earned"], earnings.by_contribution.map((c) => [link(`/contributions/${c.contribution}`, shortHash(c.contribution)), formatTokens(c.amount)])),
        h("h3", null, "By day (UTC)"),
        table(["Day", "Earned"], earnings.by_day.map((d) => [d.day, formatTokens(d.amount)])),
      ),
    ),
    h("h2", null, "Receipts"),
    table(
      ["Request", "Role", "Amount", "Model", "Block", "At"],
      receipts.receipts.map((r) => [
        link(`/receipts/${r.request_id}`, shortHash(r.request_id, 12, 0)),
        r.role,
        r.role === "payer" ? `−${formatTokens(r.amount)}` : formatTokens(r.amount),
        link(`/models/${r.model}`, `#${r.model}`),
        link(`/blocks/${r.height}`, String(r.height)),
        formatTime(r.timestamp_ms),
      ]),
      { empty: "No paid answers involve this account yet." },
    ),
  );
}
