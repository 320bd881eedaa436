/**
 * Gathers small pieces of output into chunks of a fixed size, copying each piece as it is added:
 * a piece may be a view of a source buffer that is reused once the next line is read, and one
 * socket write per line cost more than producing the lines (bench/RESULTS.md, uploads).
 */
export class ChunkWriter {
  private chunk: Buffer;
  private used = 0;
  private readonly ready: Buffer[] = [];

  constructor(private readonly chunkBytes: number) {
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  add(piece: Uint8Array): void {
    let from = 0;
    while (from < piece.length) {
      const n = Math.min(piece.length - from, this.chunkBytes - this.used);
      this.chunk.set(piece.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
      if (this.used === this.chunkBytes) {
        this.ready.push(this.chunk);
        this.chunk = Buffer.allocUnsafe(this.chunkBytes);
        this.used = 0;
      }
    }
  }

  /** The chunks filled so far, handed over (the writer keeps no reference to them). */
  takeFull(): Buffer[] {
    return this.ready.splice(0);
  }

  /** Everything left, the partly filled chunk included; the writer is empty afterwards. */
  takeAll(): Buffer[] {
    const out = this.takeFull();
    if (this.used > 0) {
      out.push(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(this.chunkBytes);
      this.used = 0;
    }
    return out;
  }
}
