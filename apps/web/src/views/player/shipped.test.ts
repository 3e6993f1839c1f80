import { describe, expect, it } from 'vitest';
import { emptyModel, fold } from '@socketscope/shared';
import { LESSONS, type Lesson } from '@socketscope/shared/lessons/index';
import { parseSession } from '../../recording/format.ts';
import { latestRun } from '../../store/steps.ts';
import { hasShipped, recordedOf, shippedLessons, shippedText } from './shipped.ts';

/**
 * The recordings the page ships (scripts/record-lessons.mjs) stay loadable by the current page: each
 * passes the page's own recording checks (format.ts R1–R4 and the shared event schema), folds, is one
 * complete run of its lesson's current steps, says when and where it was made, and lights only code
 * lines of the listings the page shows beside it. When a lesson's programs or steps change, this fails
 * until its recording is made again (node scripts/record-lessons.mjs <lesson>). A lab lesson's recording was
 * made on the lab, with the link its lesson names and the losses its steps arm; a loopback lesson's never.
 */
function listingOf(lesson: Lesson, program: string) {
  return Object.values(lesson.listings).find((l) => l?.file === program);
}

describe('shipped lesson recordings', () => {
  it('every lesson has one, and every one is a lesson', () => {
    expect(LESSONS.filter((l) => !hasShipped(l.id)).map((l) => l.id)).toEqual([]);
    expect(shippedLessons().filter((id) => !LESSONS.some((l) => l.id === id))).toEqual([]);
  });

  for (const lesson of LESSONS) {
    it(`${lesson.id}: passes the page's checks, folds, and is one complete run of the lesson's current steps`, async () => {
      const text = await shippedText(lesson.id);
      expect(text).not.toBeNull();
      const parsed = parseSession(text!);
      if (!parsed.ok) throw new Error(`${lesson.id}: ${parsed.problem.key} ${JSON.stringify(parsed.problem.params)}`);
      expect(parsed.header.lesson).toBe(lesson.id);
      // the label the page shows beside it
      const rec = recordedOf(text!);
      expect(rec).not.toBeNull();
      expect(Number.isFinite(Date.parse(rec!.at))).toBe(true);
      expect(rec!.kernel).toMatch(/\S/);
      // no folder of the machine it was made on
      expect(text!).not.toMatch(/\/(tmp|root|home|work)\//);

      const model = parsed.events.reduce((m, e) => fold(m, e), emptyModel());
      expect(model.procOrder.length).toBeGreaterThan(0);
      const run = latestRun(parsed.events, lesson.id);
      expect(run?.complete).toBe(true);
      expect(run!.steps.map((s) => s.id)).toEqual(lesson.steps.map((s) => s.id));

      // where it ran: the lab, with the lesson's link and its steps' losses (a held packet is no loss), or loopback
      const links = parsed.events.filter((e) => e.type === 'link.state');
      const lost = parsed.events.filter((e) => e.type === 'link.drop' && e.reason === 'oneshot');
      if (lesson.lab) {
        expect(links[0]).toMatchObject({ up: true, conditions: lesson.lab });
        expect(lost).toHaveLength(lesson.steps.flatMap((s) => s.link ?? []).filter((shot) => shot.holdMs === undefined).length);
      } else {
        expect(links).toEqual([]);
        expect(lost).toEqual([]);
      }

      // the lit lines: every traced call is on a code line of the listing the page shows for its program
      const wrong: string[] = [];
      for (const e of parsed.events) {
        if ((e.type !== 'api.call' && e.type !== 'api.begin') || !e.proc || !e.src) continue;
        const listing = listingOf(lesson, e.proc.program);
        const line = listing?.lines[e.src.line - 1];
        if (line?.kind !== 'code') wrong.push(`${e.proc.program}:${e.src.line} ${e.call}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});
