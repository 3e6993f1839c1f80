import type { kernelSourceEn } from './kernel-source.en.ts';

/** 内核层的数据来源，以及只有内核跟踪点才看得到的事件。简体中文；键与 kernel-source.en.ts 相同。 */
export const kernelSourceZhCN: Record<keyof typeof kernelSourceEn, string> = {
  'ksrc.exact': '精确（内核跟踪点）',
  'ksrc.exactHint': '每次状态变化都由内核自己报告，带精确时间：SYN_SENT、LAST_ACK 这样短暂的状态也不会漏掉。',
  'ksrc.sampled': '每 {ms} 毫秒采样一次',
  'ksrc.sampledHint': '内核状态每 {ms} 毫秒从 /proc 读取一次：比这更短的状态（在本机上如 SYN_SENT、SYN_RECV、LAST_ACK）可能看不到。未使用跟踪点的原因：{why}',
  'ksrc.seenByKernel': '从内核看到（未被跟踪：没有源代码行）',
  'ev.kernel.notice.retransmit': '{local} ↔ {remote}：内核重传了一个报文段（{state}）',
  'ev.kernel.notice.synack-retransmit': '{local} ↔ {remote}：内核重传了它的 SYN+ACK',
  'ev.kernel.notice.reset-sent': '{local} → {remote}：内核发送 RST（{state}）',
  'ev.kernel.notice.reset-received': '{local} ← {remote}：收到 RST，内核重置了连接',
};
