/**
 * A bounded ring of items addressed by a strictly increasing index (the event seq).
 * The recorder keeps the newest items within two bounds: at most `capacity` of them, and — when a byte
 * budget is given — at most `maxBytes` of their estimated sizes together. Older ones fall out and are
 * then only represented by a model snapshot.
 */
export class Ring<T> {
  private readonly buf: (T | undefined)[];
  /** estimated bytes of each held item, by slot (only with a byte budget) */
  private readonly sizes: Uint32Array | null;
  /** index of the oldest item held; items are [first, first + size) */
  private firstIndex = 0;
  private size = 0;
  private bytes = 0;

  constructor(readonly capacity: number, public maxBytes = Infinity) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('ring capacity must be a positive integer');
    if (!(maxBytes > 0)) throw new RangeError('ring byte budget must be positive');
    this.buf = Array.from({ length: capacity }, () => undefined);
    this.sizes = Number.isFinite(maxBytes) ? new Uint32Array(capacity) : null;
  }

  /** Index of the oldest item held (equals `end` when empty). */
  get first(): number { return this.firstIndex; }
  /** One past the newest item's index. */
  get end(): number { return this.firstIndex + this.size; }
  get length(): number { return this.size; }
  /** estimated bytes held (0 without a byte budget) */
  get heldBytes(): number { return this.bytes; }

  /**
   * Appends the item with index `end` (`bytes`: its estimated size, counted against maxBytes); returns
   * how many of the oldest items fell out to make room. The newest item is always kept, even alone over
   * the budget.
   */
  push(item: T, bytes = 0): number {
    let evicted = 0;
    while (this.size > 0 && (this.size === this.capacity || (this.sizes !== null && this.bytes + bytes > this.maxBytes))) {
      const slot = this.firstIndex % this.capacity;
      this.buf[slot] = undefined;
      if (this.sizes) this.bytes -= this.sizes[slot]!;
      this.firstIndex++;
      this.size--;
      evicted++;
    }
    const slot = (this.firstIndex + this.size) % this.capacity;
    this.buf[slot] = item;
    if (this.sizes) {
      this.sizes[slot] = bytes;
      this.bytes += bytes;
    }
    this.size++;
    return evicted;
  }

  /** Drops the oldest items until at most `bytes` (estimated) are held; returns how many fell out. */
  trimTo(bytes: number): number {
    let evicted = 0;
    while (this.size > 1 && this.sizes !== null && this.bytes > bytes) {
      const slot = this.firstIndex % this.capacity;
      this.buf[slot] = undefined;
      this.bytes -= this.sizes[slot]!;
      this.firstIndex++;
      this.size--;
      evicted++;
    }
    return evicted;
  }

  has(index: number): boolean {
    return index >= this.firstIndex && index < this.end;
  }

  get(index: number): T | undefined {
    if (!this.has(index)) return undefined;
    return this.buf[index % this.capacity];
  }

  /** Items with index in [from, to), clamped to what is held. */
  slice(from: number, to = this.end): T[] {
    const a = Math.max(from, this.firstIndex);
    const b = Math.min(to, this.end);
    const out: T[] = [];
    for (let i = a; i < b; i++) out.push(this.buf[i % this.capacity] as T);
    return out;
  }

  /** Empties the ring and makes `nextIndex` the index of the next push. */
  clear(nextIndex = 0): void {
    this.buf.fill(undefined);
    this.sizes?.fill(0);
    this.firstIndex = nextIndex;
    this.size = 0;
    this.bytes = 0;
  }
}
