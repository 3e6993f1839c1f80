/**
 * The class poll: the teacher puts a lesson's question to the class ("Ask first"), the students answer on
 * their own devices through the shared read-only link, the teacher sees how the class answered, live, and
 * then reveals what the run really did. Students' answers are the only thing a student's page may send, so
 * this file is a door too. Rules it enforces (tests: apps/agent/test/answers.test.ts, answers-load.test.ts;
 * connection.ts P7 and AN1 route the messages here):
 *
 * AN1 Answers and the teacher's poll messages are handled here and nowhere else: they never reach the
 *     agent's engine, programs, watcher or session. They are no events and no recording holds them
 *     (they are about people, not sockets, and a recording is a file that travels).
 * AN2 An answer counts only for the question open now (its poll id, phase `open`) and a choice that
 *     question has; its shape was checked by the shared schema first (AnswerMessage: ids bounded, choice
 *     0–7). Anything else is refused (E_NO_QUESTION, E_INVALID) and changes nothing.
 * AN3 One answer per student per question: one per connection and one per student id (a tab's own id, so a
 *     reload does not count twice). A second is refused (E_ANSWERED) and the first stands.
 * AN4 At most perAddress (16, as N7's connections) answers per question from one network address: one
 *     machine cannot stuff the count by opening pages or making up student ids.
 * AN5 Answers are rate-limited per page (on top of P8): `answerRate`, 4 at once then 1 a second; over it,
 *     E_LIMIT and nothing changes. At most maxAnswers (1,000) answers are held per question.
 * AN6 Only a teacher's (full) connection opens, closes, reveals or ends a question (E_READ_ONLY for a
 *     viewer), only students answer (E_INVALID for a teacher); a question must be one the shared lessons
 *     define, and its number of choices comes from that definition, never from a page.
 * AN7 The teacher's pages are told the counts at most once per countsEveryMs (100 ms), coalesced: a class
 *     answering at once costs the teacher a few small messages, not one per answer. Students are told the
 *     question and its phase when it changes, and the counts only once it is revealed — never who answered
 *     what, and no student's id.
 * AN8 What is held is bounded: the current question's answers only (a new question forgets the old ones),
 *     per connection one bucket and one flag. Nothing is logged per answer, and never a student id.
 */
import { randomBytes } from 'node:crypto';
import type { AnswerMessage, PollAct, PollState, ServerMessage } from '@socketscope/shared';
import { questionById, type Question } from '@socketscope/shared/lessons/questions';
import { TokenBucket, type RateOptions } from '../rate.ts';
import type { Role } from '../security.ts';

/** One page's connection, as the poll sees it. */
export interface PollPeer {
  readonly role: Role;
  /** the remote address (IPv4-mapped addresses as plain IPv4) */
  readonly address: string;
  /** a small control message, sent now */
  send(msg: ServerMessage): void;
}

export type PollReply = { ok: true; result: unknown } | { ok: false; code: string; message: string };

export interface ClassPollOptions {
  perAddress?: number;
  maxAnswers?: number;
  answerRate?: RateOptions;
  countsEveryMs?: number;
  log?: (line: string) => void;
}

export const ANSWER_RATE: RateOptions = { perSecond: 1, burst: 4 };
export const PER_ADDRESS = 16;
export const MAX_ANSWERS = 1000;
export const COUNTS_EVERY_MS = 100;

interface Asking {
  id: string;
  question: Question;
  phase: PollState['phase'];
  correct?: number | null;
  seen?: string;
  counts: number[];
  students: Set<string>;
  peers: WeakSet<PollPeer>;
  addresses: Map<string, number>;
}

const refuse = (code: string, message: string): PollReply => ({ ok: false, code, message });

export class ClassPoll {
  private asking: Asking | null = null;
  private readonly peers = new Set<PollPeer>();
  private readonly buckets = new WeakMap<PollPeer, TokenBucket>();
  private readonly perAddress: number;
  private readonly maxAnswers: number;
  private readonly rate: RateOptions;
  private readonly countsEveryMs: number;
  private readonly log: (line: string) => void;
  private countsTimer: NodeJS.Timeout | null = null;
  private lastCountsAt = -Infinity;
  /** counters, for tests and diagnostics */
  readonly stats = { accepted: 0, refused: 0, countMessages: 0 };

  constructor(opts: ClassPollOptions = {}) {
    this.perAddress = opts.perAddress ?? PER_ADDRESS;
    this.maxAnswers = opts.maxAnswers ?? MAX_ANSWERS;
    this.rate = opts.answerRate ?? ANSWER_RATE;
    this.countsEveryMs = opts.countsEveryMs ?? COUNTS_EVERY_MS;
    this.log = opts.log ?? (() => {});
  }

  /** A page connected (after its hello): it is told where the poll stands. */
  join(peer: PollPeer): void {
    this.peers.add(peer);
    peer.send({ t: 'poll', poll: this.viewFor(peer.role) });
  }

  leave(peer: PollPeer): void {
    this.peers.delete(peer);
  }

  /** AN6: the teacher's poll message. */
  act(peer: PollPeer, act: PollAct): PollReply {
    if (peer.role !== 'full') return refuse('E_READ_ONLY', 'only the teacher’s page puts questions to the class');
    const a = this.asking;
    switch (act.op) {
      case 'open': {
        const question = questionById(act.question);
        if (!question) return refuse('E_INVALID', `no lesson asks a question "${act.question}"`);
        this.asking = {
          id: randomBytes(9).toString('base64url'), question, phase: 'open',
          counts: question.choices.map(() => 0), students: new Set(), peers: new WeakSet(), addresses: new Map(),
        };
        this.log(`asked the class: ${question.id}`);
        break;
      }
      case 'close':
        if (!a) return refuse('E_NO_QUESTION', 'no question is put to the class');
        if (a.phase === 'open') a.phase = 'closed';
        break;
      case 'reveal':
        if (!a) return refuse('E_NO_QUESTION', 'no question is put to the class');
        if (act.correct !== null && act.correct >= a.question.choices.length) return refuse('E_INVALID', `the question has ${a.question.choices.length} choices`);
        a.phase = 'revealed';
        a.correct = act.correct;
        a.seen = act.seen;
        break;
      case 'end':
        this.asking = null;
        break;
    }
    this.broadcast();
    return { ok: true, result: { poll: this.viewFor('full') } };
  }

  /** AN2–AN5: a student's answer. */
  answer(peer: PollPeer, m: AnswerMessage): PollReply {
    const r = this.check(peer, m);
    if (!r.ok) {
      this.stats.refused++;
      return r;
    }
    const a = this.asking!;
    a.counts[m.choice]!++;
    a.students.add(m.student);
    a.peers.add(peer);
    a.addresses.set(peer.address, (a.addresses.get(peer.address) ?? 0) + 1);
    this.stats.accepted++;
    this.countsSoon();
    return { ok: true, result: { poll: a.id, choice: m.choice } };
  }

  private check(peer: PollPeer, m: AnswerMessage): PollReply {
    if (peer.role !== 'viewer') return refuse('E_INVALID', 'answers come from the students’ pages; the teacher’s page asks');
    let bucket = this.buckets.get(peer);
    if (!bucket) this.buckets.set(peer, (bucket = new TokenBucket(this.rate)));
    if (bucket.take() !== 'ok') return refuse('E_LIMIT', 'too many answers from this page; wait a moment');
    const a = this.asking;
    if (!a || a.id !== m.poll) return refuse('E_NO_QUESTION', 'that question is not asked any more');
    if (a.phase !== 'open') return refuse('E_NO_QUESTION', 'answers to this question are closed');
    if (m.choice >= a.question.choices.length) return refuse('E_INVALID', `the question has ${a.question.choices.length} choices`);
    if (a.peers.has(peer) || a.students.has(m.student)) return refuse('E_ANSWERED', 'this page already answered this question');
    if ((a.addresses.get(peer.address) ?? 0) >= this.perAddress) return refuse('E_LIMIT', `at most ${this.perAddress} answers per question from one machine`);
    if (a.students.size >= this.maxAnswers) return refuse('E_LIMIT', `at most ${this.maxAnswers} answers per question`);
    return { ok: true, result: null };
  }

  /** What a page of this role is told (AN7). */
  viewFor(role: Role): PollState | null {
    const a = this.asking;
    if (!a) return null;
    const base: PollState = { id: a.id, question: a.question.id, choices: a.question.choices.length, phase: a.phase };
    if (a.phase === 'revealed') {
      base.correct = a.correct ?? null;
      if (a.seen !== undefined) base.seen = a.seen;
    }
    if (role === 'full' || a.phase === 'revealed') {
      base.counts = [...a.counts];
      base.answered = a.counts.reduce((x, y) => x + y, 0);
    }
    return base;
  }

  /** Everyone is told a change of question or phase at once (the teacher's view carries the counts). */
  private broadcast(): void {
    this.clearCounts();
    this.lastCountsAt = performance.now();
    const teacher: ServerMessage = { t: 'poll', poll: this.viewFor('full') };
    const student: ServerMessage = { t: 'poll', poll: this.viewFor('viewer') };
    for (const p of this.peers) p.send(p.role === 'full' ? teacher : student);
  }

  /** AN7: the teacher hears of answers at most once per countsEveryMs; the first at once. */
  private countsSoon(): void {
    if (this.countsTimer) return;
    const wait = this.lastCountsAt + this.countsEveryMs - performance.now();
    if (wait <= 0) return this.sendCounts();
    this.countsTimer = setTimeout(() => { this.countsTimer = null; this.sendCounts(); }, wait);
    this.countsTimer.unref?.();
  }

  private sendCounts(): void {
    this.lastCountsAt = performance.now();
    this.stats.countMessages++;
    const msg: ServerMessage = { t: 'poll', poll: this.viewFor('full') };
    for (const p of this.peers) if (p.role === 'full') p.send(msg);
  }

  private clearCounts(): void {
    if (this.countsTimer) clearTimeout(this.countsTimer);
    this.countsTimer = null;
  }

  close(): void {
    this.clearCounts();
    this.peers.clear();
    this.asking = null;
  }
}
