/**
 * Bundles never hide what a lesson is about (capture-bundle.ts B2, B3): every lesson runs as its Python
 * programs through the agent with capture on, and its handshakes, messages and teardowns come as single
 * tcp.segment events — no lesson has a tcp.bundle, except the two bulk sends: tcp-buffers, whose 1 MiB
 * sendall() may be summarised between its zero windows and window updates, which stay single, and
 * tcp-slow-link (on the lab), whose 200,000 bytes may be summarised between its handshake and teardown.
 * The lab lessons run on the lab the agent brings up. Needs python3 and capture, and the lab for the lab
 * lessons (each skipped loudly without).
 */
import { describe, expect, it } from 'vitest';
import type { TcpBundleEvent, TcpSegmentEvent } from '@socketscope/shared';
import { LESSONS } from '@socketscope/shared/lessons/index';
import { CaptureSource } from '../src/wire/capture.ts';
import { LAB_SKIP } from './lab-kit.ts';
import { recordLesson } from './lessons-run-kit.ts';
import { PY } from './python-kit.ts';

const probe = new CaptureSource({ mode: 'off' }).status();
if (!probe.available) console.warn(`\n*** SKIPPED bundle-lessons: packet capture is not available here: ${probe.reason}\n`);
const RUN = probe.available && PY.available && process.platform === 'linux';
const LAB_LESSONS = LESSONS.filter((l) => l.lab).map((l) => l.id);
if (RUN && LAB_SKIP) console.warn(`\n*** SKIPPED bundle-lessons for the lab lessons (${LAB_LESSONS.join(', ')}): ${LAB_SKIP}\n`);
/** the lessons whose bulk data may be summarised */
const BULK = new Set(['tcp-buffers', 'tcp-slow-link']);

describe.skipIf(!RUN)('no lesson’s handshake, message or teardown is summarised', () => {
  for (const lesson of LESSONS) {
    it.skipIf(lesson.lab !== undefined && LAB_SKIP !== null)(`${lesson.id}: ${BULK.has(lesson.id) ? 'bundles only inside the bulk send, flow control single' : 'no tcp.bundle at all'}`, async (ctx) => {
      const r = await recordLesson(lesson.id);
      expect(r.result).toMatchObject({ ok: true });
      if (!r.wire) {
        console.warn(`*** SKIPPED ${lesson.id}: packet capture did not run`);
        return ctx.skip();
      }
      const bundles = r.events.filter((e): e is TcpBundleEvent => e.type === 'tcp.bundle');
      if (!BULK.has(lesson.id)) {
        expect(bundles).toEqual([]);
        return;
      }
      // on the lab each host's capture sees the connection: look at one host's view at a time (B8)
      const all = r.events.filter((e): e is TcpSegmentEvent => e.type === 'tcp.segment' && !e.inferred);
      for (const host of new Set(all.map((s) => s.host))) {
        const segments = all.filter((s) => s.host === host);
        // the handshake, the zero windows, the window update that reopens one, and the teardown are single
        expect(segments.filter((s) => s.flags.includes('SYN'))).toHaveLength(2);
        expect(segments.filter((s) => s.flags.includes('FIN'))).toHaveLength(2);
        if (lesson.id === 'tcp-buffers') {
          expect(segments.some((s) => s.analysis?.includes('zero-window'))).toBe(true);
          expect(segments.some((s) => s.analysis?.includes('window-update'))).toBe(true);
        }
        const lastSyn = Math.max(...segments.filter((s) => s.flags.includes('SYN')).map((s) => s.seq));
        const firstFin = Math.min(...segments.filter((s) => s.flags.includes('FIN')).map((s) => s.seq));
        for (const b of bundles.filter((x) => x.host === host)) {
          expect(b.count).toBeGreaterThanOrEqual(4);
          expect(b.seq).toBeGreaterThan(lastSyn);
          expect(b.seq).toBeLessThan(firstFin);
        }
      }
    }, 60_000);
  }
});
