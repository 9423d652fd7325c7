// Proofs checked in the browser: a button that fetches a proof and shows the verdict, the Verify
// page (paste any proof the node or the CLI hands out), and a receipt page.
import { chainInfo, get } from "../api";
import { errorBox, facts, h, link, replace, table } from "../dom";
import { formatTime, formatTokens, ppm, shortAddress, shortHash } from "../format";
import { type Verdict, verifyProof } from "../proof";

export function verdictView(v: Verdict): HTMLElement {
  return h(
    "div",
    { class: `verdict ${v.ok ? "ok" : "bad"}`, role: "status", "data-verdict": v.ok ? "verified" : "failed" },
    h("p", { class: "verdict-line" }, h("strong", null, v.ok ? "✓ Verified in your browser" : "✗ Not verified"), " — ", v.summary),
    h(
      "details",
      null,
      h("summary", null, `${v.steps.length} checks`),
      h("ol", { class: "steps" }, v.steps.map((s) => h("li", { class: s.ok ? "ok" : "bad" }, s.ok ? "✓ " : "✗ ", s.what, s.detail ? h("span", { class: "muted" }, ` (${s.detail})`) : null))),
    ),
  );
}

//! Verifies `doc` against the chain's sequencer key (from GET /v1/chain).
export async function check(doc: unknown): Promise<Verdict> {
  const chain = await chainInfo();
  return verifyProof(doc, chain.sequencer);
}

export function proofButton(label: string, fetchProof: () => Promise<unknown>): HTMLElement {
  const out = h("div", { class: "proof-out" });
  const button = h("button", { type: "button", class: "secondary" }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    replace(out, h("span", { class: "muted" }, "Checking…"));
    try {
      replace(out, verdictView(await check(await fetchProof())));
    } catch (e) {
      replace(out, errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "proof" }, button, out);
}

export function verifyPage(): Node {
  const input = h("textarea", {
    id: "proof-input",
    rows: "12",
    spellcheck: "false",
    placeholder: '{"proof": {"type": "tx", ...}} — from GET /v1/tx/{hash}, /v1/accounts/{a}?prove=1, /v1/receipts/{id}, a row proof, or `tributary tx get --out proof.json`',
  });
  const out = h("div", { id: "verify-out" });
  const form = h(
    "form",
    { class: "stack" },
    h("label", { for: "proof-input" }, "Proof (JSON)"),
    input,
    h("div", null, h("button", { type: "submit" }, "Verify")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let doc: unknown;
    try {
      doc = JSON.parse(input.value);
    } catch (err) {
      replace(out, errorBox({ code: "bad_json", message: (err as Error).message }));
      return;
    }
    replace(out, verdictView(await check(doc)));
  });
  return h(
    "div",
    null,
    h("h1", null, "Verify a proof"),
    h("p", { class: "lead" }, "Paste a proof of a transaction, an account, a paid answer's receipt or a Datanet row. Your browser checks the block header's Ed25519 signature by the chain's sequencer and every SHA-256 Merkle step to the header's roots; nothing is taken from the node on trust."),
    form,
    out,
  );
}

export async function receiptPage(id: string): Promise<Node> {
  const body = await get<{ status: string; receipt: any; proof: unknown }>(`/v1/receipts/${encodeURIComponent(id)}`);
  const r = body.receipt;
  return h(
    "div",
    null,
    h("h1", null, "Receipt ", h("code", null, shortHash(id, 12, 0))),
    facts([
      ["Status", body.status],
      ["Model", link(`/models/${r.model}`, String(r.model))],
      ["Tokens", `${r.prompt_tokens} prompt + ${r.completion_tokens} completion`],
      ["Fee", formatTokens(r.fee)],
      ["Paid by", link(`/accounts/${r.payer}`, shortAddress(r.payer))],
      ["Settled in", link(`/blocks/${r.height}`, `block ${r.height}`)],
      ["At", formatTime(r.timestamp_ms)],
      ["Settlement tx", link(`/tx/${r.tx_hash}`, shortHash(r.tx_hash))],
    ]),
    h("h2", null, "Where the fee went"),
    table(
      ["Role", "Account", "Amount", "Contribution"],
      (r.split as any[]).map((p) => [
        p.role,
        link(`/accounts/${p.account}`, shortAddress(p.account)),
        formatTokens(p.amount),
        p.contribution ? link(`/contributions/${p.contribution}`, shortHash(p.contribution)) : "—",
      ]),
    ),
    Array.isArray(r.weights) && r.weights.length
      ? [h("h2", null, "Attribution weights"), table(["Contribution", "Share"], r.weights.map((w: any) => [link(`/contributions/${w.contribution}`, shortHash(w.contribution)), ppm(w.parts_per_million ?? w.parts ?? 0)]))]
      : null,
    h("h2", null, "Proof"),
    proofButton("Verify this receipt in the browser", async () => body),
  );
}
