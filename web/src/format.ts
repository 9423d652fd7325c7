// Formatting for people: token amounts from base units (integers as decimal strings; never through
// floating point), shares, hashes, addresses and times.

export const kDecimals = 18; // GET /v1/chain token.decimals; the app reads it at start
export const kSymbol = "OPEN";

function toBig(units: string | bigint): bigint {
  if (typeof units === "bigint") return units;
  if (!/^-?\d+$/.test(units)) throw new Error(`not an amount in base units: '${units}'`);
  return BigInt(units);
}

//! Exact decimal form of base units: "1500000000000000000" -> "1.5".
export function formatBase(units: string | bigint, decimals = kDecimals): string {
  const v0 = toBig(units);
  const neg = v0 < 0n;
  const v = neg ? -v0 : v0;
  const scale = 10n ** BigInt(decimals);
  const whole = v / scale;
  let frac = (v % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  if (frac) frac = "." + frac;
  return `${neg ? "-" : ""}${whole}${frac}`;
}

//! For display: thousands separators and at most `maxFraction` digits, rounded half up; amounts
//! that round to zero but are not zero show as "<0.000001". "1234567.891" -> "1,234,567.891 OPEN".
export function formatTokens(
  units: string | bigint,
  opts: { decimals?: number; maxFraction?: number; symbol?: string | false } = {},
): string {
  const decimals = opts.decimals ?? kDecimals;
  const maxFraction = Math.min(opts.maxFraction ?? 6, decimals);
  const symbol = opts.symbol === false ? "" : ` ${opts.symbol ?? kSymbol}`;
  const v0 = toBig(units);
  const neg = v0 < 0n;
  let v = neg ? -v0 : v0;
  const drop = 10n ** BigInt(decimals - maxFraction);
  const rounded = (v + drop / 2n) / drop; // in units of 10^-maxFraction
  if (rounded === 0n && v !== 0n) return `${neg ? ">-" : "<"}0.${"0".repeat(maxFraction - 1)}1${symbol}`;
  v = rounded;
  const scale = 10n ** BigInt(maxFraction);
  const whole = (v / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let frac = maxFraction ? (v % scale).toString().padStart(maxFraction, "0").replace(/0+$/, "") : "";
  if (frac) frac = "." + frac;
  return `${neg && v !== 0n ? "-" : ""}${whole}${frac}${symbol}`;
}

//! Parses a decimal token amount ("12.5") into base units; throws on anything else.
export function parseTokens(text: string, decimals = kDecimals): bigint {
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(text);
  if (!m) throw new Error(`not an amount: '${text}'`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new Error(`at most ${decimals} decimal places`);
  return BigInt(m[1]) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

//! The share of a total as a percentage: (amount, total) -> "12.5%".
export function share(amount: string | bigint, total: string | bigint, digits = 1): string {
  const a = toBig(amount);
  const t = toBig(total);
  if (t === 0n) return "0%";
  const scaled = (a * 100n * 10n ** BigInt(digits) + t / 2n) / t;
  return `${formatBase(scaled, digits)}%`;
}

//! Parts per million -> "12.5%".
export function ppm(parts: number, digits = 1): string {
  return `${(parts / 10_000).toFixed(digits)}%`;
}

//! "7703b0823390b8dd41ad…" -> "7703b082…b392".
export function shortHash(hex: string, head = 8, tail = 4): string {
  if (hex.length <= head + tail + 1) return hex;
  return `${hex.slice(0, head)}…${tail > 0 ? hex.slice(-tail) : ""}`;
}

export function shortAddress(address: string): string {
  return address.length > 16 ? `${address.slice(0, 9)}…${address.slice(-6)}` : address;
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? "—" : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

//! "3 s ago", "5 min ago", ...
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
