/**
 * Which source the kernel layer comes from, and what only the kernel's tracepoints show. English; the same
 * keys and {placeholders} in kernel-source.zh-CN.ts and kernel-source.zh-TW.ts.
 */
export const kernelSourceEn = {
  'ksrc.exact': 'exact (kernel tracepoints)',
  'ksrc.exactHint': 'The kernel announces every state change itself, with its exact time: a short state such as SYN_SENT or LAST_ACK is never missed.',
  'ksrc.sampled': 'sampled every {ms} ms',
  'ksrc.sampledHint': 'Kernel states are read from /proc every {ms} ms: a state that lasts less (SYN_SENT, SYN_RECV, LAST_ACK on this machine) may not be seen. Why not tracepoints: {why}',
  'ksrc.seenByKernel': 'seen from the kernel (not traced: no source line)',
  'ev.kernel.notice.retransmit': '{local} ↔ {remote}: the kernel retransmits a segment ({state})',
  'ev.kernel.notice.synack-retransmit': '{local} ↔ {remote}: the kernel retransmits its SYN+ACK',
  'ev.kernel.notice.reset-sent': '{local} → {remote}: the kernel sends RST ({state})',
  'ev.kernel.notice.reset-received': '{local} ← {remote}: RST received; the kernel resets the connection',
};
