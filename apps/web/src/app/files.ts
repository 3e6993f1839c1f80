import { LESSONS } from '@socketscope/shared/lessons/index';
import { exportPcap, type SessionEvent } from '@socketscope/shared';
import { captureFormat, parseCapture } from '../recording/capture.ts';
import { MAX_FILE_BYTES, parseSession, serializeSession, type Problem } from '../recording/format.ts';
import { navigate, resetModel, setConn } from '../store/actions.ts';
import { EventPipeline } from '../store/pipeline.ts';
import { inHappenedOrder } from '../store/reorder.ts';
import { LogIndex } from '../store/log.ts';
import { MAX_EVENTS, Timeline } from '../store/timeline.ts';
import type { AppStore } from '../store/store.ts';
import { stopSession } from './session.ts';

/**
 * Opening and saving recordings. Opening reads the whole file and checks all of it first (format.ts,
 * capture.ts); only a file that passes replaces what the page shows, so a damaged file changes
 * nothing but the message that says why. A recording needs no agent: the page stops talking to the
 * agent (the address keeps its token, so a reload goes back to live) and plays the file through the
 * same pipeline, fold and views as a live session.
 */

const APP = 'SocketScope web 0.1.0';

function problem(store: AppStore, file: string, p: Problem): void {
  store.setState({ loading: null, loadProblem: { file, key: p.key, params: p.params } });
}

/** The lesson a recording shows: the scenario of its last step marker, when the page knows it. */
export function lessonOf(events: readonly SessionEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'scenario.step') return LESSONS.some((l) => l.id === e.scenario) ? e.scenario : undefined;
  }
  return undefined;
}

/** The same, from the timeline's step markers (nothing else is unpacked). */
function lessonOfTimeline(tl: Timeline): string | undefined {
  const i = tl.markers.at(-1);
  return i === undefined ? undefined : lessonOf([tl.eventAt(i)!]);
}

export async function openFile(store: AppStore, file: File): Promise<void> {
  store.setState({ loading: file.name, loadProblem: null });
  if (file.size > MAX_FILE_BYTES) return problem(store, file.name, { key: 'load.err.tooBig', params: { max: MAX_FILE_BYTES / 1024 / 1024 } });
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (err) {
    return problem(store, file.name, { key: 'load.err.read', params: { detail: (err as Error).message } });
  }
  openBytes(store, file.name, bytes);
}

/** Checks the bytes and, only if they are a whole recording or capture, shows them. */
export function openBytes(store: AppStore, name: string, bytes: Uint8Array): void {
  if (bytes.length === 0) return problem(store, name, { key: 'load.err.empty', params: {} });
  if (captureFormat(bytes)) {
    const r = parseCapture(bytes, MAX_EVENTS);
    if (!r.ok) return problem(store, name, r.problem);
    return show(store, { name, format: r.format, events: r.events });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return problem(store, name, { key: 'load.err.notSession', params: {} });
  }
  const r = parseSession(text);
  if (!r.ok) return problem(store, name, r.problem);
  show(store, { name, format: 'session', events: r.events, ...(r.header.base ? { base: r.header.base } : {}) });
}

function show(store: AppStore, rec: { name: string; format: 'session' | 'pcap' | 'pcapng'; events: SessionEvent[]; base?: Timeline['base'] }): void {
  stopSession();
  resetModel(store);
  const timeline = new Timeline(rec.base ?? undefined);
  const lesson = lessonOf(rec.events);
  store.setState({
    timeline, model: timeline.headModel, log: new LogIndex(timeline, { layers: store.getState().layerFilter, sock: null }), loading: null, loadProblem: null, lessonRun: null,
    source: { kind: 'file', name: rec.name, format: rec.format, events: rec.events.length, ...(lesson ? { lesson } : {}) },
  });
  setConn(store, { status: 'stopped' });
  // the same pipeline as live events, in happened order; bigger batches since nothing else competes
  const pipe = new EventPipeline(store, { holdMs: 0, maxPerFlush: 5000 });
  pipe.pushValidated(inHappenedOrder(rec.events));
  navigate(store, lesson ? { view: 'lesson', id: lesson } : { view: 'session' });
}

/** The session as a recording file (JSON Lines), named after the lesson or the session and the time. */
export function recordingText(store: AppStore): { name: string; text: string } {
  const s = store.getState();
  const tl = s.timeline;
  const lesson = s.source.kind === 'file' ? s.source.lesson : lessonOfTimeline(tl);
  const header = {
    savedAt: new Date().toISOString(),
    app: APP,
    ...(s.session ? { session: { id: s.session.id, agentVersion: s.session.agentVersion } } : {}),
    source: s.source.kind === 'file' && s.source.format !== 'session' ? s.source.format : ('agent' as const),
    ...(lesson ? { lesson } : {}),
    ...(tl.base ? { base: tl.base } : {}),
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return { name: `socketscope-${lesson ?? 'session'}-${stamp}.jsonl`, text: serializeSession(header, tl.agentEvents()) };
}

/** Offers the recording as a download (a blob: link; nothing leaves the machine). */
export function saveRecording(store: AppStore): void {
  const { name, text } = recordingText(store);
  download(name, new Blob([text], { type: 'application/x-ndjson' }));
}

/**
 * Exports the captured wire layer as a classic .pcap that Wireshark and tshark open. Inferred
 * packets did not happen on a wire, so they are left out; the counts say how many of each.
 */
export function exportWirePcap(store: AppStore): { packets: number; inferred: number; skipped: number } {
  const s = store.getState();
  const started = s.session?.startedAt ? Date.parse(s.session.startedAt) : NaN;
  const r = exportPcap(s.timeline.agentEvents(), Number.isFinite(started) ? { startUs: started * 1000 } : {});
  if (r.packets > 0) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    // a fresh ArrayBuffer-backed copy: Blob wants a plain ArrayBuffer view
    download(`socketscope-wire-${stamp}.pcap`, new Blob([new Uint8Array(r.pcap)], { type: 'application/vnd.tcpdump.pcap' }));
  }
  return { packets: r.packets, inferred: r.inferred, skipped: r.skipped };
}

function download(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
