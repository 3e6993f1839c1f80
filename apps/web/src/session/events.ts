import type { Layer, SessionEvent } from '@socketscope/shared';
import { defaultPacker, unpackEvents, type Packer } from './pack.ts';

/**
 * The session's events in the page's order (index = page seq), stored compactly enough that a
 * million fit a classroom laptop's tab:
 *
 * - in chunks of `chunkSize`; the newest `hotChunks` chunks stay as objects (what the views read all
 *   the time: the ladder's window, the cards' recent data, the log's newest rows);
 * - every full chunk is packed (pack.ts, by the browser's zlib off this thread where it can) and, once older than the hot ones, kept only
 *   packed; reading one again unpacks it into a small cache (most recently used first);
 * - a few numbers per event sit in typed arrays, so the log can filter a million rows by layer,
 *   socket or connection without unpacking anything: layer, socket and connection (interned ids),
 *   and the agent's seq and original capture time, so "save" can write the agent's events exactly
 *   as they arrived without a second copy of them.
 *
 * Objects handed out are the same object for the same index while they stay hot or cached, so
 * views (the ladder) can compare by identity; they are never changed.
 */
const LAYER_CODE: Record<Layer, number> = { api: 0, kernel: 1, wire: 2, session: 3 };
export const LAYER_OF: readonly Layer[] = ['api', 'kernel', 'wire', 'session'];

export interface EventStoreOptions {
  /** events per chunk, a power of two */
  chunkSize?: number;
  /** chunks kept as objects at the head */
  hotChunks?: number;
  /** unpacked older chunks kept */
  cacheChunks?: number;
  packer?: Packer;
}

export class EventStore {
  private readonly shift: number;
  private readonly mask: number;
  private readonly size: number;
  private readonly hotChunks: number;
  private readonly cacheChunks: number;
  private readonly packer: Packer;
  /** objects: hot chunks, and older ones whose packed bytes have not come back yet */
  private chunks: (SessionEvent[] | null)[] = [];
  private packed: (Uint8Array | null)[] = [];
  private cache = new Map<number, SessionEvent[]>();
  private n = 0;
  private layers = new Uint8Array(4096);
  private socks = new Uint32Array(4096);
  private connIds = new Uint32Array(4096);
  private agentSeqs = new Float64Array(4096);
  /** capture time as the agent sent it, where the page shows a corrected one (NaN: the same) */
  private origWire: Float64Array | null = null;
  private readonly ids = new Map<string, number>();
  private packedBytes = 0;

  constructor(opts: EventStoreOptions = {}) {
    this.size = opts.chunkSize ?? 4096;
    this.shift = Math.log2(this.size);
    if (!Number.isInteger(this.shift)) throw new Error('chunkSize must be a power of two');
    this.mask = this.size - 1;
    this.hotChunks = Math.max(1, opts.hotChunks ?? 8);
    this.cacheChunks = Math.max(1, opts.cacheChunks ?? 6);
    this.packer = opts.packer ?? defaultPacker;
  }

  get length(): number {
    return this.n;
  }

  /** Appends event `e` (its seq is the page's, === length). `agentSeq`: its number in the agent's stream. */
  push(e: SessionEvent, agentSeq: number, origWireTs?: number): void {
    const i = this.n;
    const k = i >> this.shift;
    if (i >= this.layers.length) this.grow();
    let chunk = this.chunks[k];
    if (!chunk) {
      chunk = [];
      this.chunks[k] = chunk;
      this.packed[k] = null;
      this.cool(k - this.hotChunks);
    }
    chunk.push(e);
    this.layers[i] = LAYER_CODE[e.layer];
    this.socks[i] = e.sock ? this.intern(e.sock) : 0;
    this.connIds[i] = e.conn ? this.intern(e.conn) : 0;
    this.agentSeqs[i] = agentSeq;
    if (origWireTs !== undefined) {
      if (!this.origWire) this.origWire = new Float64Array(this.layers.length).fill(NaN);
      this.origWire[i] = origWireTs;
    }
    this.n = i + 1;
    if (chunk.length === this.size) this.packChunk(k, chunk);
  }

  at(i: number): SessionEvent | undefined {
    if (i < 0 || i >= this.n) return undefined;
    return this.chunkAt(i >> this.shift)[i & this.mask];
  }

  layerAt(i: number): Layer {
    return LAYER_OF[this.layers[i]!]!;
  }

  /** interned id of event i's socket / connection (0: none) */
  sockIdAt(i: number): number {
    return this.socks[i]!;
  }

  connIdAt(i: number): number {
    return this.connIds[i]!;
  }

  /** the interned id of a socket or connection name, or -1 if no event carries it */
  idOf(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  agentSeqAt(i: number): number {
    return this.agentSeqs[i]!;
  }

  /** Event i as the agent sent it: its own seq, and its capture time as captured. */
  agentEventAt(i: number): SessionEvent {
    const e = this.at(i)!;
    const wire = this.origWire ? this.origWire[i]! : NaN;
    const out = { ...e, seq: this.agentSeqs[i]! } as SessionEvent;
    if (!Number.isNaN(wire)) (out as { wireTs?: number }).wireTs = wire;
    return out;
  }

  /** Bytes held packed, and how many chunks are objects (for stats). */
  get footprint(): { packedBytes: number; objectChunks: number; cachedChunks: number } {
    return { packedBytes: this.packedBytes, objectChunks: this.chunks.filter(Boolean).length, cachedChunks: this.cache.size };
  }

  private chunkAt(k: number): SessionEvent[] {
    const hot = this.chunks[k];
    if (hot) return hot;
    const cached = this.cache.get(k);
    if (cached) {
      this.cache.delete(k);
      this.cache.set(k, cached);
      return cached;
    }
    const bytes = this.packed[k];
    if (!bytes) throw new Error(`timeline chunk ${k} is neither kept nor packed`);
    const events = unpackEvents(bytes);
    this.cache.set(k, events);
    if (this.cache.size > this.cacheChunks) this.cache.delete(this.cache.keys().next().value!);
    return events;
  }

  private packChunk(k: number, chunk: SessionEvent[]): void {
    this.packer.pack(chunk, (bytes) => {
      if (this.chunks[k] !== chunk && this.packed[k]) return; // packed twice (cannot happen) or dropped
      this.packed[k] = bytes;
      this.packedBytes += bytes.length;
      const newest = (this.n - 1) >> this.shift;
      if (k <= newest - this.hotChunks) this.chunks[k] = null;
    });
  }

  /** Chunk k is no longer hot: keep it packed only, once its bytes are here. */
  private cool(k: number): void {
    if (k < 0) return;
    if (this.packed[k]) this.chunks[k] = null;
  }

  private intern(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(name, id);
    }
    return id;
  }

  private grow(): void {
    const cap = this.layers.length * 2;
    const g8 = new Uint8Array(cap); g8.set(this.layers); this.layers = g8;
    const gs = new Uint32Array(cap); gs.set(this.socks); this.socks = gs;
    const gc = new Uint32Array(cap); gc.set(this.connIds); this.connIds = gc;
    const ga = new Float64Array(cap); ga.set(this.agentSeqs); this.agentSeqs = ga;
    if (this.origWire) {
      const gw = new Float64Array(cap).fill(NaN);
      gw.set(this.origWire);
      this.origWire = gw;
    }
  }
}
