import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventInput, SessionEvent } from '../protocol/events.ts';
import { SessionEvent as SessionEventSchema } from '../protocol/events.ts';
import { foldAll } from './fold.ts';
import { emptyModel, OUTPUT_PIECES, OUTPUT_TAIL, type OutputPiece } from './model.ts';
import { parseModel } from './model-schema.ts';

/** F20: a program's output with each piece's stream, in the model, bounded like its text. */

type Stream = 'stdout' | 'stderr' | 'stdin';
const proc = { run: 'p1', pid: 4242, program: 'client.py' };
const start: EventInput = { layer: 'session', type: 'proc.start', proc, file: 'client.py', args: [], python: '3.11.7', step: false };
const out = (which: Stream, text: string, run = 'p1'): EventInput => (
  { layer: 'session', type: 'proc.output', run, stream: which, b64: '', text, encoding: 'utf-8' });

function stream(inputs: EventInput[]): SessionEvent[] {
  return inputs.map((input, i) => SessionEventSchema.parse({ v: 1, seq: i, ts: i * 10, ...input }));
}

/**
 * What the page derived from the events (views/programs/output.ts): every piece in order, cut from the
 * front to the fold's tail; here with neighbours of one stream joined, as the fold keeps them.
 */
function expected(outputs: [Stream, string][]): { stream: Stream; text: string }[] {
  const all: { stream: Stream; text: string }[] = [];
  for (const [s, text] of outputs) {
    if (text === '') continue;
    const last = all.at(-1);
    if (last?.stream === s) last.text += text; else all.push({ stream: s, text });
  }
  const res: { stream: Stream; text: string }[] = [];
  let need = OUTPUT_TAIL;
  for (let k = all.length - 1; k >= 0 && need > 0; k--) {
    const p = all[k]!;
    const text = p.text.length > need ? p.text.slice(p.text.length - need) : p.text;
    res.unshift({ stream: p.stream, text });
    need -= text.length;
  }
  return res;
}

const shape = (pieces: readonly OutputPiece[] | undefined) => (pieces ?? []).map((p) => ({ stream: p.stream, text: p.text }));

describe('fold: output pieces (F20)', () => {
  it('keeps each stream apart, joins neighbours of one stream, and the pieces spell the output', () => {
    const m = foldAll(emptyModel(), stream([
      start, out('stdout', 'Input: '), out('stdin', 'hello\n'), out('stdout', 'HELLO'), out('stdout', '\n'), out('stderr', 'Traceback…\n'),
      { layer: 'session', type: 'proc.start', proc: { ...proc, run: 'p2' }, file: 'server.py', args: [], python: '3.11.7', step: false },
      out('stdout', 'ready\n', 'p2'),
    ]));
    const p1 = m.procs['p1']!;
    expect(shape(p1.outputPieces)).toEqual([
      { stream: 'stdout', text: 'Input: ' }, { stream: 'stdin', text: 'hello\n' }, { stream: 'stdout', text: 'HELLO\n' }, { stream: 'stderr', text: 'Traceback…\n' },
    ]);
    expect(p1.outputPieces!.map((p) => p.seq)).toEqual([1, 2, 3, 5]);
    expect(p1.outputPieces!.map((p) => p.text).join('')).toBe(p1.output);
    expect(shape(m.procs['p2']!.outputPieces)).toEqual([{ stream: 'stdout', text: 'ready\n' }]);
  });

  it('cuts the pieces where the fold cuts its tail', () => {
    const big = 'x'.repeat(OUTPUT_TAIL - 4); // with 'head-' and 'end': 4 characters over the tail
    const m = foldAll(emptyModel(), stream([start, out('stdout', 'head-'), out('stderr', big.slice(0, 4000)), out('stderr', big.slice(4000, 8000)), out('stderr', big.slice(8000)), out('stdout', 'end')]));
    const p1 = m.procs['p1']!;
    expect(p1.outputPieces!.map((p) => p.text).join('')).toBe(p1.output);
    expect(p1.outputPieces![0]).toMatchObject({ stream: 'stdout', text: '-', seq: 1 });
    expect(p1.outputPieces!.map((p) => p.stream)).toEqual(['stdout', 'stderr', 'stdout']);
  });

  it(`keeps at most ${OUTPUT_PIECES} pieces: then they spell the end of the output, and the start has no known stream`, () => {
    const many = Array.from({ length: OUTPUT_PIECES + 40 }, (_, i) => out(i % 2 ? 'stderr' : 'stdout', `${i % 10}`));
    const m = foldAll(emptyModel(), stream([start, ...many]));
    const p1 = m.procs['p1']!;
    expect(p1.outputPieces).toHaveLength(OUTPUT_PIECES);
    expect(p1.output).toHaveLength(OUTPUT_PIECES + 40);
    expect(p1.output.endsWith(p1.outputPieces!.map((p) => p.text).join(''))).toBe(true);
    expect(p1.outputPieces![0]!.seq).toBe(41);
  });

  it('a program from a model made before pieces were kept gets pieces for what it prints next', () => {
    const m = foldAll(emptyModel(), stream([start, out('stdout', 'early\n')]));
    delete m.procs['p1']!.outputPieces;
    foldAll(m, stream([start, out('stdout', 'early\n'), out('stderr', 'late\n')]).slice(2));
    const p1 = m.procs['p1']!;
    expect(p1.output).toBe('early\nlate\n');
    expect(shape(p1.outputPieces)).toEqual([{ stream: 'stderr', text: 'late\n' }]);
    expect(parseModel(JSON.parse(JSON.stringify(m))).ok).toBe(true);
  });

  it('MS5: a recording whose pieces are not the end of the output is refused', () => {
    const m = JSON.parse(JSON.stringify(foldAll(emptyModel(), stream([start, out('stdout', 'hello\n')])))) as Record<string, any>;
    m['procs'].p1.outputPieces[0].text = 'forged\n';
    expect(parseModel(m).ok).toBe(false);
  });

  it('on any output: the same pieces as the page derived from the events, while within the piece bound', () => {
    const piece = fc.tuple(fc.constantFrom<Stream>('stdout', 'stderr', 'stdin'), fc.oneof(fc.string({ maxLength: 8 }), fc.string({ minLength: 3000, maxLength: 4000 })));
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), (outputs) => {
      const m = foldAll(emptyModel(), stream([start, ...outputs.map(([s, text]) => out(s, text))]));
      const p1 = m.procs['p1']!;
      const pieces = p1.outputPieces ?? [];
      const joined = pieces.map((p) => p.text).join('');
      expect(joined).toBe(p1.output);
      expect(shape(pieces)).toEqual(expected(outputs));
      for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.stream).not.toBe(pieces[i - 1]!.stream);
      expect(pieces.every((p) => p.text !== '')).toBe(true);
    }), { numRuns: 200 });
  });
});
