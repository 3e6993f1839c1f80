import { describe, expect, it } from 'vitest';
import { OUTPUT_TAIL, emptyModel, type SessionEvent } from '@socketscope/shared';
import { Timeline } from '../../store/timeline.ts';
import { outputPieces } from './output.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function start(seq: number, run: string): SessionEvent {
  return { v: 1, seq, ts: seq, layer: 'session', type: 'proc.start', proc: { run, pid: 100 + seq, program: `${run}.py` }, file: `${run}.py`, args: [], python: '3.11.2', step: false };
}
function out(seq: number, run: string, stream: 'stdout' | 'stderr' | 'stdin', text: string): SessionEvent {
  return { v: 1, seq, ts: seq, layer: 'session', type: 'proc.output', run, stream, b64: b64(text), text, encoding: 'utf-8' };
}
function kernel(seq: number): SessionEvent {
  return { v: 1, seq, ts: seq, layer: 'kernel', type: 'kernel.tcp', sock: 's1', local: '127.0.0.1:5000', remote: '127.0.0.1:6000', state: 'ESTABLISHED', sendQueue: 0, recvQueue: 0 };
}

function timeline(events: SessionEvent[]): Timeline {
  const tl = new Timeline();
  for (const e of events) tl.append(e);
  return tl;
}

describe('outputPieces: a run’s output by stream, exactly the fold’s text', () => {
  it('gives each run its own pieces in order, stderr and typed lines marked, other events skipped', () => {
    const tl = timeline([
      start(0, 'p1'), start(1, 'p2'), out(2, 'p1', 'stdout', 'Input: '), kernel(3), out(4, 'p2', 'stdout', 'ready\n'),
      out(5, 'p1', 'stdin', 'hello\n'), out(6, 'p1', 'stderr', 'Traceback…\n'),
    ]);
    const p1 = tl.headModel.procs['p1']!;
    expect(outputPieces(tl, p1)?.map((p) => [p.stream, p.text])).toEqual([['stdout', 'Input: '], ['stdin', 'hello\n'], ['stderr', 'Traceback…\n']]);
    expect(outputPieces(tl, tl.headModel.procs['p2']!)?.map((p) => p.text)).toEqual(['ready\n']);
  });

  it('follows the playback cursor: the model at an earlier event gives only the pieces folded by then', () => {
    const tl = timeline([start(0, 'p1'), out(1, 'p1', 'stdout', 'a'), out(2, 'p1', 'stderr', 'b'), out(3, 'p1', 'stdout', 'c')]);
    expect(outputPieces(tl, tl.headModel.procs['p1']!)?.map((p) => p.text).join('')).toBe('abc');
    const back = tl.modelAt(2).procs['p1']!;
    expect(outputPieces(tl, back)?.map((p) => p.stream)).toEqual(['stdout', 'stderr']);
  });

  it('cuts the pieces where the fold cut its tail, so the text is the same', () => {
    const big = 'x'.repeat(OUTPUT_TAIL - 4); // with 'head-' and 'end': 4 characters over the tail
    const tl = timeline([start(0, 'p1'), out(1, 'p1', 'stdout', 'head-'), out(2, 'p1', 'stderr', big), out(3, 'p1', 'stdout', 'end')]);
    const p1 = tl.headModel.procs['p1']!;
    const pieces = outputPieces(tl, p1)!;
    expect(pieces.map((p) => p.text).join('')).toBe(p1.output);
    expect(pieces[0]).toMatchObject({ stream: 'stdout', text: '-' });
    expect(pieces.map((p) => p.stream)).toEqual(['stdout', 'stderr', 'stdout']);
  });

  it('gives null (show the fold’s text as it is) when the events of the output are not in the timeline', () => {
    // a page that joined late: its timeline starts from the agent's model, which already holds output
    const base = emptyModel();
    const tl0 = timeline([start(0, 'p1'), out(1, 'p1', 'stdout', 'early\n')]);
    Object.assign(base, { procs: { ...tl0.headModel.procs }, procOrder: ['p1'] });
    const tl = new Timeline(base);
    tl.append(out(0, 'p1', 'stdout', 'late\n'));
    const p1 = tl.headModel.procs['p1']!;
    expect(p1.output).toBe('early\nlate\n');
    expect(outputPieces(tl, p1)).toBeNull();
  });
});
