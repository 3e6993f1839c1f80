/**
 * The course's lessons (LESSONS.md), in teaching order. Each lesson's id is what `scenario.run` runs and
 * each step id is what its `scenario.step` events carry, so the page can light a listing line for every
 * step. Import from '@socketscope/shared/lessons/index'.
 */
import { tcpBuffersLesson } from './tcp-buffers.ts';
import { tcpDelayedLesson } from './tcp-delayed.ts';
import { tcpEchoLesson } from './tcp-echo.ts';
import { tcpHandshakeLesson } from './tcp-handshake.ts';
import { tcpHelloLesson } from './tcp-hello.ts';
import { tcpLossLesson } from './tcp-loss.ts';
import { tcpRefusedLesson } from './tcp-refused.ts';
import { tcpSlowLinkLesson } from './tcp-slow-link.ts';
import { tcpStreamLesson } from './tcp-stream.ts';
import { tcpTeardownLesson } from './tcp-teardown.ts';
import type { Lesson, LessonStep } from './types.ts';
import { udpEchoLesson } from './udp-echo.ts';
import { udpLossLesson } from './udp-loss.ts';

export * from './types.ts';
export { listingText, renderListing, type MovedPort } from './build.ts';

export const LESSONS: readonly Lesson[] = [
  tcpHelloLesson,
  tcpHandshakeLesson,
  tcpTeardownLesson,
  tcpBuffersLesson,
  tcpStreamLesson,
  tcpEchoLesson,
  tcpRefusedLesson,
  udpEchoLesson,
  // on the lab network (lesson.lab): two hosts and a link with delay, loss and rate
  tcpLossLesson,
  udpLossLesson,
  tcpDelayedLesson,
  tcpSlowLinkLesson,
];

const BY_ID = new Map(LESSONS.map((l) => [l.id, l]));

export function lessonById(id: string): Lesson | undefined {
  return BY_ID.get(id);
}

/** What a lesson says about one of its steps (undefined for an unknown lesson or step). */
export function lessonStep(lessonId: string, stepId: string): LessonStep | undefined {
  return BY_ID.get(lessonId)?.steps.find((s) => s.id === stepId);
}
