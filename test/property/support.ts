/**
 * Shared pieces of the property tests: arbitrary chunkings of a byte string and the sources that
 * deliver them, the way a socket would (boundaries anywhere, multi-byte characters cut in two).
 */
import fc from 'fast-check';

/** How a buffer is cut into chunks: at arbitrary offsets, or one byte at a time. */
export type Cuts = { readonly kind: 'offsets'; readonly at: readonly number[] } | { readonly kind: 'bytes' };

export const cutsArb: fc.Arbitrary<Cuts> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.nat(), { maxLength: 40 }).map((at) => ({ kind: 'offsets' as const, at })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'bytes' as const }) },
);

/** The chunks `cuts` make of `bytes`; never empty chunks unless `keepEmpty` (a duplicate offset). */
export const chunk = (bytes: Uint8Array, cuts: Cuts, keepEmpty = false): Buffer[] => {
  const buf = Buffer.from(bytes);
  if (cuts.kind === 'bytes') return [...buf].map((b) => Buffer.from([b]));
  const offsets = cuts.at.map((n) => n % (buf.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const at of [...offsets, buf.length]) {
    if (at > start || (keepEmpty && at === start)) out.push(buf.subarray(start, at));
    start = at;
  }
  return out;
};

/** A source that reuses one scratch buffer for every chunk, as some stream implementations do. */
export async function* reusingSource(chunks: readonly Buffer[]): AsyncGenerator<Uint8Array> {
  const scratch = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)) + 16);
  for (const c of chunks) {
    scratch.fill(0x58); // 'X': stale bytes must never leak into a line
    // An offset view into a larger ArrayBuffer, as a Uint8Array rather than a Buffer.
    c.copy(scratch, 8);
    yield new Uint8Array(scratch.buffer, scratch.byteOffset + 8, c.length);
  }
  scratch.fill(0x58);
}

export async function* plainSource(chunks: readonly Buffer[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** Arbitrary bytes with the bytes that matter to line splitting and UTF-8 decoding over-represented. */
export const bytesArb = (maxLength: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength }),
    fc
      .array(fc.constantFrom(0x0a, 0x0d, 0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x20, 0x61), {
        maxLength,
      })
      .map((a) => Uint8Array.from(a)),
  );
