/**
 * Bundles never hide what a lesson is about (capture-bundle.ts B2, B3): every lesson runs as its Python
 * programs through the agent with capture on, and its handshakes, messages and teardowns come as single
 * tcp.segment events — no lesson has a tcp.bundle, except tcp-buffers, whose 1 MiB sendall() may be
 * summarised between its zero windows and window updates, which stay single. Needs python3 and capture
 * (each skipped loudly without).
 */
import { describe, expect, it } from 'vitest';
import type { TcpBundleEvent, TcpSegmentEvent } from '@socketscope/shared';
import { LESSONS } from '@socketscope/shared/lessons/index';
import { CaptureSource } from '../src/wire/capture.ts';
import { recordLesson } from './lessons-run-kit.ts';
import { PY } from './python-kit.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
if (!probe.available) console.warn(`\n*** SKIPPED bundle-lessons: packet capture is not available here: ${probe.reason}\n`);
const RUN = probe.available && PY.available && process.platform === 'linux';

describe.skipIf(!RUN)('no lesson’s handshake, message or teardown is summarised', () => {
  for (const lesson of LESSONS) {
    it(`${lesson.id}: ${lesson.id === 'tcp-buffers' ? 'bundles only inside the bulk send, flow control single' : 'no tcp.bundle at all'}`, async (ctx) => {
      const r = await recordLesson(lesson.id);
      expect(r.result).toMatchObject({ ok: true });
      if (!r.wire) {
        console.warn(`*** SKIPPED ${lesson.id}: packet capture did not run`);
        return ctx.skip();
      }
      const segments = r.events.filter((e): e is TcpSegmentEvent => e.type === 'tcp.segment' && !e.inferred);
      const bundles = r.events.filter((e): e is TcpBundleEvent => e.type === 'tcp.bundle');
      if (lesson.id !== 'tcp-buffers') {
        expect(bundles).toEqual([]);
        return;
      }
      // tcp-buffers: its handshake, zero windows, the window update that reopens one, and its teardown are single
      expect(segments.filter((s) => s.flags.includes('SYN'))).toHaveLength(2);
      expect(segments.filter((s) => s.flags.includes('FIN'))).toHaveLength(2);
      expect(segments.some((s) => s.analysis?.includes('zero-window'))).toBe(true);
      expect(segments.some((s) => s.analysis?.includes('window-update'))).toBe(true);
      const lastSyn = Math.max(...segments.filter((s) => s.flags.includes('SYN')).map((s) => s.seq));
      const firstFin = Math.min(...segments.filter((s) => s.flags.includes('FIN')).map((s) => s.seq));
      for (const b of bundles) {
        expect(b.count).toBeGreaterThanOrEqual(4);
        expect(b.seq).toBeGreaterThan(lastSyn);
        expect(b.seq).toBeLessThan(firstFin);
      }
    }, 60_000);
  }
});
