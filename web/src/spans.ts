// An answer split into plain text and the spans that attribution found verbatim in the data.
import { utf8 } from "./bytes";

export interface Span {
  text: string;
  byte_begin: number;
  byte_end: number;
  rows: { row_id: string; contribution: string; contributor: string }[];
  contributors: string[];
}

//! Splits `output` into plain and highlighted pieces by the spans' UTF-8 byte ranges (the
//! attribution reports byte offsets); overlapping spans keep the earlier one.
export function splitBySpans(output: string, spans: Span[]): { text: string; span?: Span }[] {
  const bytes = utf8(output);
  const decode = (a: number, b: number) => new TextDecoder().decode(bytes.subarray(a, b));
  const sorted = [...spans].filter((s) => s.byte_begin < s.byte_end && s.byte_end <= bytes.length).sort((a, b) => a.byte_begin - b.byte_begin);
  const out: { text: string; span?: Span }[] = [];
  let at = 0;
  for (const s of sorted) {
    if (s.byte_begin < at) continue;
    if (s.byte_begin > at) out.push({ text: decode(at, s.byte_begin) });
    out.push({ text: decode(s.byte_begin, s.byte_end), span: s });
    at = s.byte_end;
  }
  if (at < bytes.length) out.push({ text: decode(at, bytes.length) });
  return out;
}
