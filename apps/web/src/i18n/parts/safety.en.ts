/**
 * Strings of the page's safety nets, English: a view that failed (views/ViewBoundary.tsx) and the
 * teacher's switch that hides payload bytes from students' pages (views/share/PayloadSwitch.tsx). Same
 * keys and {placeholders} in safety.zh-CN.ts and safety.zh-TW.ts.
 */
export const safetyEn: Record<string, string> = {
  'safety.viewFailed': 'This view could not be drawn and was left out; the rest of the page goes on.',
  'safety.viewFailedDetail': 'What went wrong: {detail}',
  'safety.viewRetry': 'Try again',
  'safety.payloads.hidden': 'Students: data hidden',
  'safety.payloads.shown': 'Students: data shown',
  'safety.payloads.hint': 'Whether the students’ read-only pages show the bytes sent and received. Hidden, they see lengths but not the bytes. Click to change.',
  'safety.payloads.failed': 'The setting could not be changed: {detail}',
};
