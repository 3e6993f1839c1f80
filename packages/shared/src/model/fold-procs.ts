import type { ApiBeginEvent, ApiCallEvent, ProcExitEvent, ProcInputEvent, ProcOutputEvent, ProcStartEvent } from '../protocol/events.ts';
import { made, own, putProc, writableProc } from './fold-store.ts';
import { OUTPUT_PIECES, OUTPUT_TAIL, type Model, type OutputPiece } from './model.ts';

/** Traced programs: the rules F15 and F20 (fold.ts states them). */

export function foldProcStart(model: Model, e: ProcStartEvent, epoch: number): void { // F15
  putProc(model, made({
    run: e.proc.run, pid: e.proc.pid, program: e.proc.program, file: e.file, args: e.args, python: e.python,
    status: 'running', step: e.step, output: '', outputBytes: 0, firstSeq: e.seq, lastSeq: e.seq,
  }, epoch), undefined);
}

export function foldBegin(model: Model, e: ApiBeginEvent, epoch: number): void {
  const was = e.proc && own(model.procs, e.proc.run);
  if (!was || was.status === 'exited') return;
  const p = writableProc(was, epoch);
  p.lastSeq = e.seq;
  p.status = e.paused ? 'paused' : 'in-call';
  p.pending = { call: e.call, seq: e.seq, ts: e.ts, ...(e.callId !== undefined ? { callId: e.callId } : {}) };
  if (e.src) p.line = e.src.line;
  putProc(model, p, was);
}

export function procCallDone(model: Model, e: ApiCallEvent, run: string, epoch: number): void {
  const was = own(model.procs, run);
  if (!was || was.status === 'exited') return;
  const p = writableProc(was, epoch);
  p.lastSeq = e.seq;
  if (e.src) p.line = e.src.line;
  if (!p.pending || p.pending.callId === e.callId) {
    delete p.pending;
    if (p.status !== 'input') p.status = 'running';
  }
  putProc(model, p, was);
}

/** bytes in a base64 text (its padding is not data) */
function b64Bytes(b64: string): number {
  return Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
}

export function foldOutput(model: Model, e: ProcOutputEvent, epoch: number): void {
  const was = own(model.procs, e.run);
  if (!was) return;
  const p = writableProc(was, epoch);
  const text = p.output + e.text;
  p.lastSeq = e.seq;
  p.output = text.length > OUTPUT_TAIL ? text.slice(text.length - OUTPUT_TAIL) : text;
  p.outputBytes += e.stream === 'stdin' ? 0 : b64Bytes(e.b64);
  if (e.text !== '') p.outputPieces = withPiece(p.outputPieces ?? [], e);
  // a line typed on the page answers the input() that asked for it
  if (e.stream === 'stdin' && p.status === 'input') { p.status = 'running'; delete p.prompt; }
  putProc(model, p, was);
}

/**
 * F20: the pieces (the list of a program this epoch owns, F13) with this output added, in place: joined
 * onto the last piece when the stream is the same, then cut at the front to OUTPUT_TAIL characters (as
 * `output` is) and to OUTPUT_PIECES pieces. A piece is replaced, never changed. Costs O(pieces), at most
 * OUTPUT_PIECES.
 */
function withPiece(pieces: OutputPiece[], e: ProcOutputEvent): OutputPiece[] {
  const last = pieces.at(-1);
  const same = last !== undefined && last.stream === e.stream;
  let chars = e.text.length;
  for (const q of pieces) chars += q.text.length;
  // drop whole pieces from the front while what remains still fills the tail
  let from = 0;
  const count = pieces.length + (same ? 0 : 1);
  while (from < pieces.length - (same ? 1 : 0) && (chars - pieces[from]!.text.length >= OUTPUT_TAIL || count - from > OUTPUT_PIECES)) {
    chars -= pieces[from]!.text.length;
    from++;
  }
  const out = pieces;
  if (from > 0) out.splice(0, from);
  if (same) out[out.length - 1] = { ...last, text: last.text + e.text };
  else out.push({ seq: e.seq, stream: e.stream, text: e.text });
  if (chars > OUTPUT_TAIL) {
    const first = out[0]!;
    out[0] = { ...first, text: first.text.slice(chars - OUTPUT_TAIL) };
  }
  return out;
}

export function foldInput(model: Model, e: ProcInputEvent, epoch: number): void {
  const was = own(model.procs, e.run);
  if (!was || was.status === 'exited') return;
  const p = writableProc(was, epoch);
  p.lastSeq = e.seq;
  p.status = 'input';
  p.prompt = e.prompt;
  if (e.src) p.line = e.src.line;
  putProc(model, p, was);
}

export function foldExit(model: Model, e: ProcExitEvent, epoch: number): void {
  const was = own(model.procs, e.run);
  if (!was) return;
  const p = writableProc(was, epoch);
  p.lastSeq = e.seq;
  p.status = 'exited';
  p.exit = {
    code: e.code, signal: e.signal, reason: e.reason,
    ...(e.exception ? { exception: e.exception } : {}), ...(e.message ? { message: e.message } : {}),
  };
  delete p.pending;
  delete p.prompt;
  if (e.exception?.frames.length) p.line = e.exception.frames[e.exception.frames.length - 1]!.line;
  putProc(model, p, was);
}
