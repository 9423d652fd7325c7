// Bytes: hex, UTF-8, and a reader for the ledger's canonical encoding (src/base/encoding.cpp:
// integers big-endian, strings and blobs as a u32 length followed by the bytes).

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`not hex: ${hex.length > 20 ? hex.slice(0, 20) + "…" : hex}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function u32be(v: number): Uint8Array {
  return new Uint8Array([(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

export function u64be(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

//! Reads the canonical encoding; every read throws on running past the end.
export class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.at;
  }
  private take(n: number): Uint8Array {
    if (this.at + n > this.buf.length) {
      throw new Error(`truncated: needed ${n} bytes at offset ${this.at} of ${this.buf.length}`);
    }
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0];
  }
  u32(): number {
    const b = this.take(4);
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }
  u64(): bigint {
    let v = 0n;
    for (const b of this.take(8)) v = (v << 8n) | BigInt(b);
    return v;
  }
  u128(): bigint {
    const hi = this.u64();
    return (hi << 64n) | this.u64();
  }
  fixed(n: number): Uint8Array {
    return this.take(n);
  }
  blob(): Uint8Array {
    return this.take(this.u32());
  }
  str(): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(this.blob());
  }
  expectEnd(): void {
    if (this.at !== this.buf.length) {
      throw new Error(`${this.buf.length - this.at} trailing bytes`);
    }
  }
}
