import { MAX_FILE_BYTES, type Problem } from '../recording/format.ts';
import { navigate, resetView, setConn } from '../store/actions.ts';
import type { AppStore } from '../store/store.ts';
import { currentLink } from '../session/link.ts';
import { onOpened, startWorker, stopSession } from './session.ts';

/**
 * Opening and saving recordings. Opening reads the whole file and checks all of it first (format.ts,
 * capture.ts); only a file that passes replaces what the page shows, so a damaged file changes
 * nothing but the message that says why. A recording needs no agent: the page stops talking to the
 * agent (the address keeps its token, so a reload goes back to live) and the session worker plays the
 * file through the same fold and views as a live session.
 */

const APP = 'SocketScope web 0.1.0';

function problem(store: AppStore, file: string, p: Problem): void {
  store.setState({ loading: null, loadProblem: { file, key: p.key, params: p.params } });
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
  await openBytes(store, file.name, bytes);
}

/** Checks the bytes (in the session worker) and, only if they are a whole recording or capture, shows them. */
export function openBytes(store: AppStore, name: string, bytes: Uint8Array): Promise<boolean> {
  if (bytes.length === 0) {
    problem(store, name, { key: 'load.err.empty', params: {} });
    return Promise.resolve(false);
  }
  const link = currentLink() ?? startWorker(store);
  return new Promise((resolve) => {
    onOpened((m) => {
      onOpened(null);
      if (!m.ok) {
        store.setState({ loading: null, loadProblem: m.problem });
        resolve(false);
        return;
      }
      stopSession();
      resetView(store);
      const lesson = m.source.kind === 'file' ? m.source.lesson : undefined;
      store.setState({ loading: null, loadProblem: null, lessonRun: null, source: m.source });
      setConn(store, { status: 'stopped' });
      navigate(store, lesson ? { view: 'lesson', id: lesson } : { view: 'session' });
      resolve(true);
    });
    link.open(name, bytes);
  });
}

/** The session as a recording file (JSON Lines), named after the lesson or the session and the time. */
export async function recordingText(store: AppStore): Promise<{ name: string; text: string }> {
  const s = store.getState();
  const link = currentLink();
  if (!link) return { name: 'socketscope-session.jsonl', text: '' };
  const lesson = s.source.kind === 'file' ? s.source.lesson : undefined;
  const a = await link.query({ q: 'recording', savedAt: new Date().toISOString(), app: APP, ...(lesson ? { lesson } : {}) });
  return { name: a.name, text: a.text };
}

/** Offers the recording as a download (a blob: link; nothing leaves the machine). */
export async function saveRecording(store: AppStore): Promise<void> {
  const { name, text } = await recordingText(store);
  download(name, new Blob([text], { type: 'application/x-ndjson' }));
}

/**
 * Exports the captured wire layer as a classic .pcap that Wireshark and tshark open. Inferred
 * packets did not happen on a wire, so they are left out; the counts say how many of each.
 */
export async function exportWirePcap(): Promise<{ packets: number; inferred: number; skipped: number; unexpanded: number }> {
  const link = currentLink();
  if (!link) return { packets: 0, inferred: 0, skipped: 0, unexpanded: 0 };
  const r = await link.query({ q: 'pcap' });
  if (r.bytes) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    download(`socketscope-wire-${stamp}.pcap`, new Blob([new Uint8Array(r.bytes)], { type: 'application/vnd.tcpdump.pcap' }));
  }
  return { packets: r.packets, inferred: r.inferred, skipped: r.skipped, unexpanded: r.unexpanded };
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
