/**
 * One read-only page's stream (viewer-pool.ts has the rules, V1–V7, and the pump that drives it). Its
 * memory is O(1): a cursor into the session's recorder, and a snapshot to send when it resumes.
 */
import type { Model, ServerMessage } from '@socketscope/shared';
import type { EventStream, Transport } from './outbound.ts';
import type { ViewerPool } from './viewer-pool.ts';

const OPEN = 1;

/** What one step did: sent a message, had nothing to do, or was held (own socket full), starved (the total), draining (detached). */
export type StepState = 'sent' | 'idle' | 'held' | 'starved' | 'draining';

export class ViewerStream implements EventStream {
  /** seq to send next; null until synced */
  private cursor: number | null = null;
  private historyEnd: number | null = null;
  /** set while detached (V3): the first seq this viewer was not sent */
  private lostFrom: number | null = null;
  private fullSince: number | null = null;
  private pending: { snapshot: { atSeq: number; model: Model }; gap: { from: number; to: number; reason: string } | undefined } | null = null;
  private closed = false;

  constructor(private readonly pool: ViewerPool, private readonly transport: Transport) {}

  get detached(): boolean { return this.lostFrom !== null; }
  get synced(): boolean { return this.cursor !== null && this.historyEnd === null && this.lostFrom === null; }

  buffered(): number {
    return this.closed ? 0 : this.transport.bufferedAmount;
  }

  sync(since: number | null): void {
    if (this.closed) return;
    const b = this.pool.session.backlog(since);
    this.pending = b.snapshot ? { snapshot: b.snapshot, gap: b.gap } : null;
    this.cursor = b.nextSeq;
    this.historyEnd = this.pool.session.lastSeq;
    this.lostFrom = null;
    this.fullSince = null;
    this.pool.schedule(true);
  }

  restart(): void {
    this.cursor = null;
    this.historyEnd = null;
    this.lostFrom = null;
    this.pending = null;
    this.fullSince = null;
  }

  /** Replies and hellos: small, sent at once (a viewer's commands cause no events, so O6 has nothing to order). */
  control(msg: ServerMessage): void {
    this.sendText(JSON.stringify(msg));
  }

  /** The pool decides when a viewer is sent events; at shutdown a viewer is not owed the rest. */
  flush(): void {}

  private hasWork(): boolean {
    const c = this.cursor;
    return c !== null && (this.pending !== null || this.historyEnd !== null || c <= this.pool.session.lastSeq);
  }

  /** V3 */
  private detach(): void {
    if (this.lostFrom !== null || this.cursor === null) return;
    this.lostFrom = this.pending ? this.pending.gap?.from ?? this.cursor : this.cursor;
    this.pending = null;
    this.pool.stats.detached++;
  }

  /** V4: the model now stands for everything from lostFrom on. */
  private reattach(): void {
    const session = this.pool.session;
    const from = this.lostFrom!;
    this.lostFrom = null;
    const atSeq = session.lastSeq;
    if (from > atSeq) { this.cursor = from; return; }
    this.pending = {
      snapshot: { atSeq, model: session.current() },
      gap: { from, to: atSeq, reason: 'this page stopped reading for a while; the snapshot stands for the events it missed' },
    };
    this.cursor = atSeq + 1;
    if (this.historyEnd !== null) this.historyEnd = atSeq;
    this.pool.stats.resumed++;
  }

  /** @internal one message at most (V1–V4). */
  step(total: number, now: number): { state: StepState; bytes: number } {
    const idle = { state: 'idle' as StepState, bytes: 0 };
    if (this.closed || this.cursor === null || this.transport.readyState !== OPEN) return idle;
    const session = this.pool.session;
    const buffered = this.transport.bufferedAmount;
    if (this.lostFrom !== null) {
      if (buffered > this.pool.perClientBytes / 2) return { state: 'draining', bytes: 0 };
      this.reattach();
    } else if (!this.pending && this.cursor <= session.lastSeq && this.cursor < session.firstHeldSeq) {
      // the recorder no longer holds what this viewer needs next (V3)
      this.detach();
      return this.step(total, now);
    }
    if (!this.hasWork()) { this.fullSince = null; return idle; }
    if (buffered > this.pool.perClientBytes) {
      this.fullSince ??= now;
      if (now - this.fullSince >= this.pool.detachMs) { this.detach(); return { state: 'draining', bytes: 0 }; }
      return { state: 'held', bytes: 0 };
    }
    this.fullSince = null;
    let text: string;
    let after: () => void;
    const cursor = this.cursor;
    if (this.pending) {
      const p = this.pending;
      text = this.pool.snapshotFrame(p.snapshot.atSeq, p.snapshot.model);
      after = () => {
        this.pending = null;
        if (p.gap) this.sendText(JSON.stringify({ t: 'gap', ...p.gap } satisfies ServerMessage));
      };
    } else if (this.historyEnd !== null && cursor > this.historyEnd) {
      const lastSeq = this.historyEnd;
      text = JSON.stringify({ t: 'synced', lastSeq } satisfies ServerMessage);
      after = () => { this.historyEnd = null; };
    } else {
      const end = this.pool.batchEnd(cursor, (this.historyEnd ?? session.lastSeq) + 1);
      text = this.pool.eventsFrame(cursor, end);
      after = () => { this.cursor = end; };
    }
    if (!this.pool.fits(total, text.length)) return { state: 'starved', bytes: 0 };
    this.sendText(text);
    after();
    this.pool.stats.messages++;
    return { state: 'sent', bytes: text.length };
  }

  private sendText(text: string): void {
    if (this.closed || this.transport.readyState !== OPEN) return;
    this.transport.send(text);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.dispose();
    try {
      this.transport.close(code, reason.slice(0, 120));
    } catch {
      // already closing
    }
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.remove(this);
  }
}
