import { describe, expect, it } from "vitest";
import { rates } from "../src/chain-stats";
import { cumulativeEarnings } from "../src/earnings";
import { splitBySpans } from "../src/spans";
import { match } from "../src/router";

const span = (byte_begin: number, byte_end: number) => ({ text: "", byte_begin, byte_end, rows: [], contributors: [] });

describe("spans of an answer", () => {
  it("splits by UTF-8 byte offsets, not UTF-16 indices", () => {
    const out = "Café in Quillmere — founded 1847.";
    const bytes = new TextEncoder().encode(out);
    const begin = new TextEncoder().encode("Café in ").length; // é is two bytes
    const end = begin + new TextEncoder().encode("Quillmere").length;
    const parts = splitBySpans(out, [span(begin, end)]);
    expect(parts.map((p) => p.text)).toEqual(["Café in ", "Quillmere", " — founded 1847."]);
    expect(parts[1].span).toBeDefined();
    expect(parts.map((p) => p.text).join("")).toBe(out);
    expect(bytes.length).toBeGreaterThan(out.length);
  });
  it("keeps the earlier of overlapping spans and drops spans past the end", () => {
    const parts = splitBySpans("abcdefgh", [span(4, 6), span(0, 3), span(2, 5), span(6, 99)]);
    expect(parts.map((p) => [p.text, !!p.span])).toEqual([["abc", true], ["d", false], ["ef", true], ["gh", false]]);
  });
  it("leaves an answer without spans whole", () => {
    expect(splitBySpans("hello", [])).toEqual([{ text: "hello" }]);
  });
});

describe("block rates", () => {
  const block = (height: number, t: number, txs: number) => ({ hash: "", proposer: "", height, timestamp_ms: t, tx_count: txs });
  it("averages the interval and counts transactions after the oldest block", () => {
    const r = rates([block(3, 6000, 4), block(2, 4000, 2), block(1, 2000, 100)]);
    expect(r.interval).toBe(2);
    expect(r.tps).toBe(1.5);
  });
  it("needs two blocks and time between them", () => {
    expect(rates([block(1, 0, 1)]).tps).toBeNull();
    expect(rates([block(2, 5, 1), block(1, 5, 1)]).interval).toBeNull();
  });
});

describe("earnings over time", () => {
  it("accumulates earned amounts in block order and leaves payments out", () => {
    const r = (height: number, role: string, amount: string) => ({ request_id: "x", height, timestamp_ms: 0, model: 1, role, amount });
    const c = cumulativeEarnings([r(9, "contributor", "500000000000000000"), r(5, "owner", "1000000000000000000"), r(7, "payer", "99")]);
    expect(c.labels).toEqual(["block 5", "block 9"]);
    expect(c.values).toEqual([1, 1.5]);
  });
});

describe("routes", () => {
  const routes = [
    { pattern: /^\/datanets\/(\d+)$/, title: "Datanet", render: () => document.createElement("div") },
    { pattern: /^\/accounts\/(trb[0-9a-f]{48})$/, title: "Account", render: () => document.createElement("div") },
  ];
  it("matches real URLs and extracts their parameters", () => {
    expect(match(routes, "/datanets/12")?.params).toEqual(["12"]);
    expect(match(routes, "/datanets/x")).toBeNull();
    expect(match(routes, "/accounts/trb" + "a".repeat(48))?.route.title).toBe("Account");
  });
});
