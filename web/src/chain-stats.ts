// Rates over a window of recent blocks.

export interface BlockSummary {
  hash: string;
  height: number;
  timestamp_ms: number;
  tx_count: number;
  proposer: string;
}

//! Seconds per block and transactions per second over a window of blocks (newest first).
export function rates(blocks: BlockSummary[]): { interval: number | null; tps: number | null } {
  if (blocks.length < 2) return { interval: null, tps: null };
  const newest = blocks[0];
  const oldest = blocks[blocks.length - 1];
  const span = (newest.timestamp_ms - oldest.timestamp_ms) / 1000;
  if (span <= 0) return { interval: null, tps: null };
  const txs = blocks.slice(0, -1).reduce((n, b) => n + b.tx_count, 0);
  return { interval: span / (blocks.length - 1), tps: txs / span };
}
