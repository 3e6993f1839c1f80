/// <reference lib="webworker" />
import { exportPcap, parseEvent, type SessionEvent } from '@socketscope/shared';
import { LESSONS } from '@socketscope/shared/lessons/index';
import { parseModel } from '@socketscope/shared/model/model-schema';
import { AgentClient } from '../connection/client.ts';
import { DirectTransport } from '../connection/transport.ts';
import { captureFormat, parseCapture } from '../recording/capture.ts';
import { parseSession, serializeSession, type Problem } from '../recording/format.ts';
import { SessionCore } from './core.ts';
import { paintPicture } from './picture.ts';
import type { Answer, CommandReply, FromWorker, Query, SessionInfo, SourceInfo, ToWorker } from './protocol.ts';
import { MAX_EVENTS } from './timeline.ts';

/**
 * The session worker: owns the session so the page's main thread only renders (protocol.ts says how
 * they talk, core.ts what the session does with an event). Its one scheduling rule: a diff goes to the
 * page as soon as something changed and the page has applied the previous one; a reply to a command
 * goes after a diff holding every event received before it (the agent replies after the events a
 * command caused, so the page sees a command's effects when it sees its reply).
 */
declare const self: DedicatedWorkerGlobalScope;

const core = new SessionCore();
let client: AgentClient | null = null;
let session: SessionInfo | null = null;
let source: SourceInfo = { kind: 'live' };
/** a diff was posted and the page has not said it applied it */
let awaiting = false;
let scheduled = false;

const post = (m: FromWorker, transfer: Transferable[] = []): void => self.postMessage(m, transfer);

function flushDiff(): void {
  const d = core.diff();
  if (!d) return;
  // the ladder's picture of the same rows, painted here: the page only draws the bitmap
  const pic = core.takePicture();
  const picture = pic ? guarded(() => paintPicture(pic.layout, pic.paint, pic.selected)) : null;
  if (picture) d.picture = picture;
  awaiting = true;
  post({ t: 'diff', diff: d }, picture ? [picture.bitmap] : []);
}

/** A picture that could not be painted is said once on the console; the diff goes without it. */
let paintFailed = false;
function guarded<R>(f: () => R): R | null {
  try {
    return f();
  } catch (err) {
    if (!paintFailed) console.error(`SocketScope: the ladder's picture failed: ${(err as Error).stack ?? String(err)}`);
    paintFailed = true;
    return null;
  }
}

/** Posts a diff now, or once the page has applied the one it has. */
function schedule(): void {
  if (scheduled || awaiting || !core.dirty) return;
  scheduled = true;
  // events that arrive in the same task (one WebSocket frame, a resync's history) go in one diff
  setTimeout(() => {
    scheduled = false;
    if (!awaiting) flushDiff();
  }, 0);
}

/**
 * A fault of ours while taking events in must not end the session: the page would stop hearing anything.
 * Said once on the console, counted with the dropped events (the page shows that count), and the stream goes on.
 */
function guard(f: () => void): void {
  try {
    f();
  } catch (err) {
    console.error(`SocketScope: the session worker failed on a message: ${(err as Error).stack ?? String(err)}`);
    core.countBad(1);
  }
}

function connect(url: string): void {
  client?.stop();
  source = { kind: 'live' };
  const c = new AgentClient({
    url,
    transport: new DirectTransport(WebSocket),
    sink: {
      status: (status, d) => post({ t: 'conn', conn: { status, attempt: d.attempt, retryAt: d.retryAt, ...(d.stop ? { stop: d.stop } : {}) } }),
      hello: (hello) => {
        const same = session?.id === hello.session.id;
        const newSession = session !== null && !same;
        if (newSession) {
          core.start();
          core.note({ kind: 'newSession', params: { id: hello.session.id } });
        }
        session = {
          id: hello.session.id, agentVersion: hello.agentVersion, readOnly: hello.readOnly,
          ...(hello.session.startedAt ? { startedAt: hello.session.startedAt } : {}),
        };
        post({ t: 'hello', session, capabilities: hello.capabilities, share: hello.share ?? null, newSession });
        const since = same ? core.agentLastSeq : -1;
        if (same && since >= 0) core.note({ kind: 'resynced', params: { seq: since } });
        schedule();
        return since >= 0 ? since : null;
      },
      events: (events, bad) => {
        for (const error of bad) if (error) console.warn(`SocketScope: dropped an invalid event: ${error}`);
        guard(() => core.agentEvents(events, bad.length));
        schedule();
      },
      snapshot: (atSeq, raw) => {
        const m = parseModel(raw);
        if (!m.ok) {
          console.warn(`SocketScope: ignored a snapshot that is not a model: ${m.error}`);
          core.countBad(1);
        } else guard(() => core.snapshot(atSeq, m.model));
        schedule();
      },
      gap: (from, to, reason) => { core.note({ kind: 'gap', params: { from, to, reason } }); schedule(); },
      merged: (count) => { core.note({ kind: 'merged', params: { count } }); schedule(); },
      synced: () => {},
      viewers: (count) => post({ t: 'viewers', count }),
      poll: (poll) => post({ t: 'poll', poll }),
      badMessage: (error) => {
        console.warn(`SocketScope: dropped an invalid message from the agent: ${error}`);
        core.countBad(1);
        schedule();
      },
    },
  });
  client = c;
  c.start();
}

/** Opens a recording or a capture: only one that passes every check replaces the session. */
function open(name: string, bytes: Uint8Array): void {
  const fail = (p: Problem) => post({ t: 'opened', ok: false, problem: { file: name, key: p.key, params: p.params } });
  if (bytes.length === 0) return fail({ key: 'load.err.empty', params: {} });
  let events: SessionEvent[];
  let format: 'session' | 'pcap' | 'pcapng';
  let base;
  const cap = captureFormat(bytes);
  if (cap) {
    const r = parseCapture(bytes, MAX_EVENTS);
    if (!r.ok) return fail(r.problem);
    events = r.events;
    format = r.format;
  } else {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail({ key: 'load.err.notSession', params: {} });
    }
    const r = parseSession(text);
    if (!r.ok) return fail(r.problem);
    events = r.events;
    format = 'session';
    base = r.header.base ?? undefined;
  }
  client?.stop();
  client = null;
  session = null;
  core.start(base);
  core.fileEvents(events);
  const lesson = lessonOf(events);
  source = { kind: 'file', name, format, events: events.length, ...(lesson ? { lesson } : {}) };
  post({ t: 'conn', conn: { status: 'stopped', attempt: 0, retryAt: null } });
  post({ t: 'opened', ok: true, source });
  schedule();
}

/** The lesson a recording shows: the scenario of its last step marker, when the page knows it. */
function lessonOf(events: readonly SessionEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'scenario.step') return LESSONS.some((l) => l.id === e.scenario) ? e.scenario : undefined;
  }
  return undefined;
}

/**
 * The .pcap of the session's captured packets. A bulk run the agent summarised (tcp.bundle) is asked of the
 * agent's capture ring (`capture.packets`), so the file has every packet; one it can no longer give (an opened
 * file, or packets the ring dropped) is counted, never invented.
 */
async function pcapAnswer(q: Extract<Query, { q: 'pcap' }>): Promise<Answer> {
  const events = core.tl.agentEvents();
  const bundles = new Map<number, SessionEvent>();
  for (const e of events) if (e.type === 'tcp.bundle') bundles.set(e.bundle, e);
  const expanded = new Map<number, SessionEvent[]>();
  let unexpanded = 0;
  for (const [id, b] of bundles) {
    if (b.type !== 'tcp.bundle') continue;
    const r = client ? await client.request({ op: 'capture.packets', bundle: id }) : null;
    const segs: SessionEvent[] = [];
    const result = r?.ok ? (r.result as { segments?: unknown; count?: unknown }) : null;
    for (const raw of Array.isArray(result?.segments) ? result.segments : []) {
      const seg = raw as Record<string, unknown>;
      const parsed = parseEvent({ ...seg, v: 1, seq: b.seq, ts: typeof seg['wireTs'] === 'number' ? seg['wireTs'] : b.ts, layer: 'wire', type: 'tcp.segment' });
      if (parsed.ok) segs.push(parsed.event);
    }
    unexpanded += Math.max(0, b.count - segs.length);
    expanded.set(id, segs);
  }
  // each bundle's packets where its last summary stands (the order of the capture within a run is kept)
  const out: SessionEvent[] = [];
  const last = new Map<number, SessionEvent>();
  for (const e of events) if (e.type === 'tcp.bundle') last.set(e.bundle, e);
  for (const e of events) {
    if (e.type !== 'tcp.bundle') { out.push(e); continue; }
    if (last.get(e.bundle) === e) out.push(...(expanded.get(e.bundle) ?? []));
  }
  out.sort((a, b) => ((a.type === 'tcp.segment' || a.type === 'udp.datagram') && a.wireTs !== undefined ? a.wireTs : a.ts)
    - ((b.type === 'tcp.segment' || b.type === 'udp.datagram') && b.wireTs !== undefined ? b.wireTs : b.ts));
  const started = session?.startedAt ? Date.parse(session.startedAt) : NaN;
  const r = exportPcap(out, q.startUs !== undefined ? { startUs: q.startUs } : Number.isFinite(started) ? { startUs: started * 1000 } : {});
  return { q: 'pcap', bytes: r.packets > 0 ? new Uint8Array(r.pcap) : null, packets: r.packets, inferred: r.inferred, skipped: r.skipped, unexpanded };
}

function answer(q: Query): Answer {
  const tl = core.tl;
  switch (q.q) {
    case 'event': return { q: 'event', event: tl.eventAt(q.seq) ?? null };
    case 'step': return { q: 'step', at: core.step(q.from, q.dir) };
    case 'visible': return { q: 'visible', at: core.visible(q.from, q.to) };
    case 'recording': {
      const marker = tl.markers.at(-1);
      const lesson = q.lesson ?? (source.kind === 'file' ? source.lesson : marker === undefined ? undefined : lessonOf([tl.eventAt(marker)!]));
      const header = {
        savedAt: q.savedAt, app: q.app,
        ...(session ? { session: { id: session.id, agentVersion: session.agentVersion } } : {}),
        source: source.kind === 'file' && source.format !== 'session' ? source.format : ('agent' as const),
        ...(lesson ? { lesson } : {}),
        ...(tl.base ? { base: tl.base } : {}),
      };
      const stamp = q.savedAt.replace(/[:.]/g, '-').slice(0, 19);
      return { q: 'recording', name: `socketscope-${lesson ?? 'session'}-${stamp}.jsonl`, text: serializeSession(header, tl.agentEvents()) };
    }
    case 'pcap': throw new Error('pcap is answered by pcapAnswer');
    case 'stats': {
      const seqs = tl.agentSeqs();
      return {
        q: 'stats', stats: {
          lastSeq: seqs.at(-1) ?? -1, events: tl.length, logRows: core.log.length, seqs, pageSeqs: core.log.seqs(),
          badEvents: core.badCount, stored: tl.columns.footprint, overflow: tl.overflow,
        },
      };
    }
  }
}

self.addEventListener('message', (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.t) {
    case 'connect': connect(m.url); return;
    case 'open': open(m.name, m.bytes); return;
    case 'view': core.setView(m.view); schedule(); return;
    case 'paint': core.setPaint(m.paint); schedule(); return;
    case 'ack':
      awaiting = false;
      schedule();
      return;
    case 'cmd': {
      const c = client;
      const done = (reply: CommandReply): void => {
        flushDiff(); // the events the command caused come before its reply
        post({ t: 'reply', id: m.id, reply });
      };
      if (!c) done({ ok: false, error: { code: 'E_DISCONNECTED', message: 'no session' } });
      else void c.request(m.cmd).then(done);
      return;
    }
    case 'poll': {
      const done = (reply: CommandReply): void => post({ t: 'reply', id: m.id, reply });
      if (!client) done({ ok: false, error: { code: 'E_DISCONNECTED', message: 'no session' } });
      else void client.classPoll(m.msg).then(done);
      return;
    }
    case 'query': {
      flushDiff();
      if (m.query.q === 'pcap') {
        void pcapAnswer(m.query).then((a) => post({ t: 'answer', id: m.id, answer: a }, a.q === 'pcap' && a.bytes ? [a.bytes.buffer] : []));
        return;
      }
      post({ t: 'answer', id: m.id, answer: answer(m.query) });
      return;
    }
    case 'retry': client?.retryNow(); return;
    case 'drop': client?.dropConnection(); return;
    case 'stop':
      client?.stop();
      client = null;
      return;
  }
});
