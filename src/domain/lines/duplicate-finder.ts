/**
 * Duplicate custom_ids in bounded memory. Remembering every id of a file costs memory in
 * proportion to its lines (a Set of 200,000 strings is about 20 MB), and the gateway promises memory
 * flat in the batch size. So the first pass only feeds a Bloom filter of fixed size: an id whose
 * bits are all set already is a *suspect* (a duplicate, or rarely a false positive). Files without
 * suspects — nearly all of them — are done in one pass. Otherwise a second pass over the file counts
 * the suspects exactly and names the first line that repeats one.
 *
 * Sized for the configured line limit at 32 bits and 16 hashes per id, the filter's false-positive
 * rate is below 1 in 2 million even when full: a 50,000-line file costs 200 KB and almost never has
 * a suspect. (At 16 bits and 8 hashes, 0.05% when full, a file at the line limit nearly always had
 * a few, and each cost a second read and parse of the whole file: bench/RESULTS.md, uploads.)
 */

const BITS_PER_ID = 32;
const HASHES = 16;
/** Suspects kept at most; past it the file is far over the filter's size, and every id is verified. */
const MAX_SUSPECTS = 10_000;

/** 32-bit FNV-1a over the UTF-16 code units, with a seed: two of them give every probe. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class DuplicateFinder {
  private readonly bits: Uint8Array;
  private readonly size: number;
  private readonly found = new Set<string>();
  private overflow = false;

  /** `expectedIds`: the most ids a file may hold (the line limit). */
  constructor(expectedIds: number) {
    this.size = Math.max(1024, Math.ceil(Math.max(1, expectedIds) * BITS_PER_ID));
    this.bits = new Uint8Array(Math.ceil(this.size / 8));
  }

  add(id: string): void {
    const h1 = fnv1a(id, 0x811c9dc5);
    // Odd, so the probes cycle through every bit.
    const h2 = fnv1a(id, 0x9747b28c) | 1;
    let seen = true;
    for (let i = 0; i < HASHES; i++) {
      // Unsigned before the modulo: a negative probe would index outside the filter and never be seen.
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) % this.size;
      const at = bit >>> 3;
      const mask = 1 << (bit & 7);
      if ((this.bits[at]! & mask) === 0) {
        seen = false;
        this.bits[at]! |= mask;
      }
    }
    if (!seen) return;
    if (this.found.size < MAX_SUSPECTS) this.found.add(id);
    else this.overflow = true;
  }

  /** Whether a second pass is needed. */
  get hasSuspects(): boolean {
    return this.found.size > 0;
  }

  /**
   * The second pass: every line whose id occurred on an earlier line, in order. `lines` yields
   * every id of the file in order; only suspects are counted (all ids, past the suspect limit).
   */
  async *repeats(lines: AsyncIterable<{ readonly lineNo: number; readonly customId: string }>): AsyncGenerator<{ lineNo: number; customId: string }> {
    const counted = new Set<string>();
    for await (const { lineNo, customId } of lines) {
      if (!this.overflow && !this.found.has(customId)) continue;
      if (counted.has(customId)) yield { lineNo, customId };
      else counted.add(customId);
    }
  }

  /** The first repeat, or null. */
  async firstRepeat(lines: AsyncIterable<{ readonly lineNo: number; readonly customId: string }>): Promise<{ lineNo: number; customId: string } | null> {
    for await (const repeat of this.repeats(lines)) return repeat;
    return null;
  }
}
