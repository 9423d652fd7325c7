// Earnings over time from an account's receipts.
import { formatBase } from "./format";

export interface AccountReceipt {
  request_id: string;
  height: number;
  timestamp_ms: number;
  model: number;
  role: string;
  amount: string;
}

//! Cumulative earnings (in whole tokens, for the chart) from receipts, oldest first. Payments made
//! by the account are not earnings and are left out.
export function cumulativeEarnings(receipts: AccountReceipt[]): { labels: string[]; values: number[] } {
  const earned = receipts.filter((r) => r.role !== "payer").sort((a, b) => a.height - b.height);
  let total = 0n;
  const labels: string[] = [];
  const values: number[] = [];
  for (const r of earned) {
    total += BigInt(r.amount);
    labels.push(`block ${r.height}`);
    values.push(Number(formatBase(total)));
  }
  return { labels, values };
}
