/**
 * Strings of the lesson player's live runs and shipped recordings (views/player, views/LessonList),
 * English. Spread into the page's messages (en.ts); lessons-live.zh-CN.ts and lessons-live.zh-TW.ts must
 * have exactly these keys (the type says so, i18n.test.ts checks the placeholders).
 */
export const lessonsLiveEn = {
  'live.run': '● Run live',
  'live.runHint': 'Starts the programs and stops them before each step’s socket calls: → (or Next) makes the next step happen now, while the class watches.',
  'live.status.waiting': 'Live: the programs wait before the next step. → runs it.',
  'live.status.stepping': 'Live: the step is running…',
  'live.status.first': 'Live: starting the programs…',
  'live.status.done': 'Live run finished: every step ran. Step back through it with ←.',
  'live.behind': 'Looking back: → steps forward, and at the newest step runs the next one.',
  'live.stop': '■ Stop',
  'live.stopHint': 'Ends the live lesson and its programs',
  'live.next': 'Run the next step',
  'code.notStarted': 'not started yet',
  'code.runOf': '{program}, pid {pid}',
  'shipped.label': 'A recording, not a run on this machine: recorded {date} on {os} ({kernel}, Python {python}).',
  'shipped.labelNoPython': 'A recording, not a run on this machine: recorded {date} on {os} ({kernel}).',
  'shipped.open': 'Show the recording',
  'shipped.openHint': 'Opens the recording of this lesson that comes with SocketScope',
  'shipped.card': 'opens a recording',
  'shipped.why.noAgent': 'No agent is connected, so the lessons cannot run here.',
  'shipped.why.noPython': 'The agent found no Python 3 on this machine, so the lessons’ programs cannot run here.',
  'shipped.why.noKernel': 'The agent cannot read the kernel’s socket table here (it needs Linux), so the lessons cannot run here.',
  'shipped.why.unknown': 'This agent cannot run this lesson.',
  'shipped.instead': 'Each lesson opens a recording of its real run instead, labelled with when and where it was made.',
  'lessons.introRecorded': 'Each lesson is the tutorial’s Python programs, run on real sockets and traced: the socket calls, the kernel’s states and buffers, and the packets on the wire, step by step.',
} as const;
