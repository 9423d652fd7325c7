// Playground: chat with any served model through the node's OpenAI API, streamed; for a priced
// adapter, the answer's receipt (fee, split, proof once settled) and its attribution: the spans
// found verbatim in the adapter's Datanets highlighted and linked to their rows and contributors,
// the most influential training rows, and the weight of each contribution as a chart.
import { ApiError, get, post, stream } from "../api";
import { hbarChart } from "../charts";
import { type Child, errorBox, facts, h, link, replace } from "../dom";
import { formatTokens, ppm, shortAddress, shortHash } from "../format";
import { type Span, splitBySpans } from "../spans";
import { rowText } from "./datanets";
import { proofButton } from "./verify";

const kKeyStorage = "tributary.apiKey";

interface ServedModel {
  id: string;
  parent: string | null;
  tributary?: { name?: string; price_per_1k_tokens?: string };
}

interface Message {
  role: "user" | "assistant" | "system";
  content: string;
}

function rowHref(contribution: string, rowId: string): string {
  return `/contributions/${contribution}?row=${rowId}#row-${rowId}`;
}

function highlighted(output: string, spans: Span[]): HTMLElement {
  return h(
    "p",
    { class: "answer-text attributed" },
    splitBySpans(output, spans).map((p) => {
      if (!p.span) return p.text;
      const first = p.span.rows[0];
      const who = p.span.contributors.map(shortAddress).join(", ");
      return h("a", { class: "span", href: first ? rowHref(first.contribution, first.row_id) : "#", title: `found in ${p.span.rows.length} row(s), contributed by ${who}` }, h("mark", null, p.text));
    }),
  );
}

async function influentialRows(top: { row_id: string; contribution: string; contributor: string; score: number }[]): Promise<HTMLElement> {
  const rows = top.slice(0, 5);
  const texts = new Map<string, unknown>();
  await Promise.all(
    [...new Set(rows.map((r) => r.contribution))].map(async (c) => {
      try {
        const body = await get<{ rows_page?: { rows: { row_id: string; row: unknown }[] } | null }>(`/v1/contributions/${c}?rows_limit=1000`);
        for (const r of body.rows_page?.rows ?? []) texts.set(r.row_id, r.row);
      } catch {
        /* the row's text is optional here */
      }
    }),
  );
  return h(
    "ol",
    { class: "rows influential" },
    rows.map((r) =>
      h(
        "li",
        { class: "row" },
        texts.has(r.row_id) ? h("div", { class: "row-text" }, rowText(texts.get(r.row_id) as Record<string, unknown>)) : null,
        h("div", { class: "row-meta" }, link(rowHref(r.contribution, r.row_id), `row ${shortHash(r.row_id)}`), " by ", link(`/accounts/${r.contributor}`, shortAddress(r.contributor)), ` · score ${r.score.toFixed(3)}`),
      ),
    ),
  );
}

//! The answer's attribution; the spans are highlighted in the answer itself (`answerEl`).
async function attributionView(model: string, prompt: string, output: string, answerEl: HTMLElement): Promise<HTMLElement> {
  const a = await post<{
    spans: Span[];
    weights: { contribution: string; contributor: string; weight?: number; parts_per_million?: number }[];
    influence?: { top: { row_id: string; contribution: string; contributor: string; score: number }[] };
    unattributed_parts_per_million?: number;
  }>("/v1/attribution", { model, prompt, output }); // the engine's span rule, as the receipt's
  const weights = a.weights ?? [];
  if (a.spans.length) answerEl.replaceWith(highlighted(output, a.spans));
  return h(
    "div",
    { class: "attribution", "data-spans": String(a.spans.length) },
    h("h3", null, "Where this answer came from"),
    a.spans.length
      ? h("p", { class: "muted" }, `${a.spans.length} span(s) of the answer, highlighted above, were found verbatim in the adapter's Datanets; each links to its row.`)
      : h("p", { class: "muted" }, "No span of the answer was found verbatim in the adapter's Datanets."),
    weights.length
      ? hbarChart("Weight of each contribution (% of the contributors' share)", {
          labels: weights.map((w) => `${shortAddress(w.contributor)} · ${shortHash(w.contribution, 6, 0)}`),
          values: weights.map((w) => (w.parts_per_million ?? Math.round((w.weight ?? 0) * 1e6)) / 1e4),
          label: "% of the contributors' share",
        })
      : h("p", { class: "muted" }, "No contribution was attributed."),
    a.influence?.top?.length ? [h("h4", null, "Most influential training rows"), await influentialRows(a.influence.top)] : null,
  );
}

async function settledReceipt(requestId: string, into: HTMLElement): Promise<void> {
  for (let i = 0; i < 60; i++) {
    try {
      const body = await get<{ receipt: { height: number } }>(`/v1/receipts/${requestId}`);
      replace(into, `settled in block ${body.receipt.height} · `, link(`/receipts/${requestId}`, "receipt"), proofButton("Verify receipt", async () => body));
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) {
        replace(into, errorBox(e));
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  replace(into, "not settled yet: see ", link(`/receipts/${requestId}`, "the receipt page"));
}

function receiptView(receipt: any): HTMLElement {
  const settled = h("span", { class: "muted", "data-settled": "pending" }, "settling…");
  void settledReceipt(receipt.request_id, settled).then(() => settled.setAttribute("data-settled", "done"));
  const top = (receipt.top_contributions ?? []) as { contribution: string; contributor: string; parts_per_million: number }[];
  return h(
    "div",
    { class: "receipt" },
    h("h3", null, "Receipt"),
    facts([
      ["Fee", formatTokens(receipt.fee)],
      ["Tokens", `${receipt.prompt_tokens} prompt + ${receipt.completion_tokens} completion`],
      ["Request", h("code", null, receipt.request_id)],
      ["Top contributions", top.length ? top.map((t) => h("div", null, link(`/contributions/${t.contribution}`, shortHash(t.contribution)), ` by ${shortAddress(t.contributor)}: ${ppm(t.parts_per_million)}`)) : "none attributed"],
      ["Ledger", settled],
    ]),
  );
}

export async function playgroundPage(q: URLSearchParams): Promise<Node> {
  const { data } = await get<{ data: ServedModel[] }>("/v1/models");
  const wanted = q.get("model");
  const select = h(
    "select",
    { id: "model", name: "model" },
    data.map((m) => {
      const price = m.tributary?.price_per_1k_tokens ?? "0";
      const label = `${m.tributary?.name ?? m.id} (${m.id}) — ${price === "0" ? "free" : formatTokens(price) + " / 1k tokens"}`;
      return h("option", { value: m.id, selected: m.id === wanted || (!!wanted && m.tributary?.name === wanted) }, label);
    }),
  );
  if (!wanted) {
    const firstAdapter = data.find((m) => m.parent !== null);
    if (firstAdapter) select.value = firstAdapter.id;
  }
  const key = h("input", { id: "apikey", type: "password", autocomplete: "off", placeholder: "trb-sk-…", value: localStorage.getItem(kKeyStorage) ?? "" });
  key.addEventListener("change", () => localStorage.setItem(kKeyStorage, key.value.trim()));
  const maxTokens = h("input", { id: "max-tokens", type: "number", min: "1", max: "2048", value: "64" });
  const temperature = h("input", { id: "temperature", type: "number", min: "0", max: "2", step: "0.1", value: "0" });
  const input = h("textarea", { id: "message", rows: "3", placeholder: "Ask something…", required: true });
  const send = h("button", { type: "submit", id: "send" }, "Send");
  const stop = h("button", { type: "button", class: "secondary", hidden: true }, "Stop");
  const log = h("div", { class: "chat", id: "chat", "aria-live": "polite" });
  const messages: Message[] = [];
  let controller: AbortController | null = null;
  stop.addEventListener("click", () => controller?.abort());

  const form = h(
    "form",
    { class: "chat-form" },
    h("div", { class: "form-row" }, h("label", { for: "model" }, "Model"), select),
    h("div", { class: "form-row" }, h("label", { for: "apikey" }, "API key"), key, h("small", { class: "muted" }, "Priced models need a key (`tributary apikey create`); it stays in this browser.")),
    h("div", { class: "form-row inline" }, h("label", { for: "max-tokens" }, "Max tokens"), maxTokens, h("label", { for: "temperature" }, "Temperature"), temperature),
    h("label", { for: "message", class: "sr-only" }, "Message"),
    input,
    h("div", { class: "actions" }, send, stop),
  );
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const prompt = input.value.trim();
    if (!prompt || controller) return;
    const model = select.value;
    messages.push({ role: "user", content: prompt });
    input.value = "";
    log.appendChild(h("div", { class: "msg user" }, h("div", { class: "who" }, "You"), h("p", null, prompt)));
    const text = h("p", { class: "answer-text streaming" });
    const extra = h("div", { class: "extra" });
    const bubble = h("div", { class: "msg assistant", "data-state": "streaming" }, h("div", { class: "who" }, model), text, extra);
    log.appendChild(bubble);
    bubble.scrollIntoView({ block: "nearest" });
    controller = new AbortController();
    send.disabled = true;
    stop.hidden = false;
    let output = "";
    let receipt: any = null;
    let failure: Child = null;
    const headers: Record<string, string> = {};
    if (key.value.trim()) headers.Authorization = `Bearer ${key.value.trim()}`;
    try {
      await stream(
        "/v1/chat/completions",
        {
          model,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: Math.max(1, Number(maxTokens.value) || 64),
          temperature: Math.max(0, Number(temperature.value) || 0),
        },
        headers,
        (chunk) => {
          if (chunk.error) {
            failure = errorBox(chunk.error);
            return;
          }
          const delta = chunk.choices?.[0]?.delta?.content;
          if (typeof delta === "string") {
            output += delta;
            text.textContent = output;
          }
          if (chunk.tributary?.receipt) receipt = chunk.tributary.receipt;
        },
        controller.signal,
      );
    } catch (err) {
      failure = (err as Error).name === "AbortError" ? h("p", { class: "muted" }, "Stopped.") : errorBox(err);
    } finally {
      controller = null;
      send.disabled = false;
      stop.hidden = true;
      text.classList.remove("streaming");
    }
    // A turn that produced nothing is left out of the conversation sent next time.
    if (failure && !output) messages.pop();
    else messages.push({ role: "assistant", content: output });
    if (failure) extra.appendChild(failure as Node);
    if (receipt) {
      extra.appendChild(receiptView(receipt));
      const attribution = h("div", { class: "muted" }, "Attributing…");
      extra.appendChild(attribution);
      try {
        attribution.replaceWith(await attributionView(String(receipt.model ?? model), prompt, output, text));
      } catch (err) {
        attribution.replaceWith(errorBox(err));
      }
    } else if (!failure) {
      extra.appendChild(h("p", { class: "muted" }, "A free model: no fee, no receipt, no attribution."));
    }
    bubble.setAttribute("data-state", "done");
  });

  return h(
    "div",
    null,
    h("h1", null, "Playground"),
    h("p", { class: "lead" }, "Ask a model. A priced adapter's answer is paid from your key's account, attributed to the Datanet contributions that shaped it, and settled on the ledger, where the split can be proven."),
    data.length ? form : h("p", { class: "error" }, "This node serves no model (start it with --base DIR)."),
    log,
  );
}
