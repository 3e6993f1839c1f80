/**
 * A fixed-capacity ring of items addressed by a strictly increasing index (the event seq).
 * The recorder keeps the newest `capacity` events; older ones fall out and are then only
 * represented by a model snapshot.
 */
export class Ring<T> {
  private readonly buf: (T | undefined)[];
  /** index of the oldest item held; items are [first, first + size) */
  private firstIndex = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('ring capacity must be a positive integer');
    this.buf = Array.from({ length: capacity }, () => undefined);
  }

  /** Index of the oldest item held (equals `end` when empty). */
  get first(): number { return this.firstIndex; }
  /** One past the newest item's index. */
  get end(): number { return this.firstIndex + this.size; }
  get length(): number { return this.size; }

  /** Appends the item with index `end`; returns the item pushed out, if any. */
  push(item: T): T | undefined {
    const slot = (this.firstIndex + this.size) % this.capacity;
    let evicted: T | undefined;
    if (this.size === this.capacity) {
      evicted = this.buf[slot];
      this.firstIndex++;
    } else {
      this.size++;
    }
    this.buf[slot] = item;
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
    this.firstIndex = nextIndex;
    this.size = 0;
  }
}
