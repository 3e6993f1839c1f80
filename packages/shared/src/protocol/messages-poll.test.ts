import { describe, expect, it } from 'vitest';
import { ClientMessage, ServerMessage } from './messages.ts';

/** The class poll's messages (apps/agent/src/server/answers/class-poll.ts AN2, AN6): their shapes are the first check. */
describe('asking the class: message shapes', () => {
  const answer = { t: 'answer', id: 'a1', poll: 'p1', choice: 2, student: 'tab-0123456789' };

  it('an answer names the poll, a choice 0–7 and a student id of 8–64 letters, digits, _ or -', () => {
    expect(ClientMessage.safeParse(answer).success).toBe(true);
    for (const bad of [
      { ...answer, choice: 8 }, { ...answer, choice: -1 }, { ...answer, choice: 1.5 }, { ...answer, student: 'short' },
      { ...answer, student: 'x'.repeat(65) }, { ...answer, student: 'has space ok' }, { ...answer, poll: '' }, { ...answer, poll: 'p'.repeat(33) },
      { ...answer, id: '' }, { t: 'answer', id: 'a1', poll: 'p1', choice: 1 },
    ]) expect(ClientMessage.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('the teacher opens, closes, reveals (a choice or none, and what the run did) or ends; nothing else', () => {
    for (const act of [{ op: 'open', question: 'tcp-hello/syn-reply' }, { op: 'close' }, { op: 'reveal', correct: 0, seen: 'SYN+ACK' }, { op: 'reveal', correct: null, seen: '' }, { op: 'end' }]) {
      expect(ClientMessage.safeParse({ t: 'poll', id: 'q1', act }).success, JSON.stringify(act)).toBe(true);
    }
    for (const act of [{ op: 'open' }, { op: 'reveal', correct: 9, seen: '' }, { op: 'reveal', correct: 0, seen: 'x'.repeat(81) }, { op: 'count' }]) {
      expect(ClientMessage.safeParse({ t: 'poll', id: 'q1', act }).success, JSON.stringify(act)).toBe(false);
    }
  });

  it('the agent tells where the poll stands, or that there is none', () => {
    expect(ServerMessage.safeParse({ t: 'poll', poll: null }).success).toBe(true);
    const poll = { id: 'p1', question: 'tcp-hello/syn-reply', choices: 4, phase: 'revealed', correct: 0, seen: 'SYN+ACK', counts: [2, 0, 0, 1], answered: 3 };
    expect(ServerMessage.safeParse({ t: 'poll', poll }).success).toBe(true);
    expect(ServerMessage.safeParse({ t: 'poll', poll: { ...poll, phase: 'guessing' } }).success).toBe(false);
    expect(ServerMessage.safeParse({ t: 'poll', poll: { ...poll, counts: [-1] } }).success).toBe(false);
  });
});
