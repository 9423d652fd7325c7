import { describe, expect, it } from "vitest";
import { ago, formatBase, formatTokens, parseTokens, ppm, share, shortHash } from "../src/format";

describe("base units", () => {
  it.each([
    ["0", "0"],
    ["1", "0.000000000000000001"],
    ["1000000000000000000", "1"],
    ["1500000000000000000", "1.5"],
    ["999999973930000000000", "999.99997393"],
    ["1000000000000000000000000000", "1000000000"],
    ["-2500000000000000000", "-2.5"],
    // beyond 2^64 and 2^128: no floating point anywhere
    ["340282366920938463463374607431768211455", "340282366920938463463.374607431768211455"],
  ])("formatBase(%s) = %s", (units, text) => {
    expect(formatBase(units)).toBe(text);
    if (!text.startsWith("-")) expect(parseTokens(text)).toBe(BigInt(units));
  });

  it.each([
    ["0", "0 OPEN"],
    ["1000000000000000000", "1 OPEN"],
    ["1234567891000000000000000", "1,234,567.891 OPEN"],
    ["62000000000000", "0.000062 OPEN"],
    ["1", "<0.000001 OPEN"],
    ["1499999", "<0.000001 OPEN"],
    ["999999500000000000", "1 OPEN"], // rounds half up
    ["999999499999999999", "0.999999 OPEN"],
  ])("formatTokens(%s) = %s", (units, text) => {
    expect(formatTokens(units)).toBe(text);
  });

  it("formats with other decimals and without a symbol", () => {
    expect(formatTokens("12345", { decimals: 2, symbol: false })).toBe("123.45");
    expect(formatTokens("1234500", { decimals: 6, maxFraction: 2, symbol: "USDC" })).toBe("1.23 USDC");
  });

  it("refuses what is not an amount", () => {
    expect(() => formatBase("1.5")).toThrow(/base units/);
    expect(() => formatBase("abc")).toThrow();
    expect(() => parseTokens("1.2.3")).toThrow(/not an amount/);
    expect(() => parseTokens("-1")).toThrow();
    expect(() => parseTokens("0." + "1".repeat(19))).toThrow(/decimal places/);
  });
});

describe("shares and labels", () => {
  it("computes shares exactly", () => {
    expect(share("1", "3")).toBe("33.3%");
    expect(share("2", "3")).toBe("66.7%");
    expect(share("5", "0")).toBe("0%");
    expect(share("340282366920938463463374607431768211455", "340282366920938463463374607431768211455")).toBe("100%");
    expect(ppm(125000)).toBe("12.5%");
  });
  it("shortens hashes and ages", () => {
    expect(shortHash("7703b0823390b8dd41ad1113714fc5740f4f575192e06a91b89f5fa71806b392")).toBe("7703b082…b392");
    expect(shortHash("abcd")).toBe("abcd");
    expect(shortHash("35f4fdfb059cfba8e39fb4d9f84d5f11", 10, 0)).toBe("35f4fdfb05…");
    expect(ago(1000, 4000)).toBe("3 s ago");
    expect(ago(0, 7_200_000)).toBe("2 h ago");
  });
});
