import type { kernelSourceEn } from './kernel-source.en.ts';

/** 核心層的資料來源，以及只有核心追蹤點才看得到的事件。繁體中文；鍵與 kernel-source.en.ts 相同。 */
export const kernelSourceZhTW: Record<keyof typeof kernelSourceEn, string> = {
  'ksrc.exact': '精確（核心追蹤點）',
  'ksrc.exactHint': '每次狀態變化都由核心自己回報，附精確時間：SYN_SENT、LAST_ACK 這類短暫的狀態也不會漏掉。',
  'ksrc.sampled': '每 {ms} 毫秒取樣一次',
  'ksrc.sampledHint': '核心狀態每 {ms} 毫秒從 /proc 讀取一次：比這更短的狀態（在本機上如 SYN_SENT、SYN_RECV、LAST_ACK）可能看不到。未使用追蹤點的原因：{why}',
  'ksrc.seenByKernel': '從核心看到（未被追蹤：沒有原始碼行）',
  'ev.kernel.notice.retransmit': '{local} ↔ {remote}：核心重傳了一個區段（{state}）',
  'ev.kernel.notice.synack-retransmit': '{local} ↔ {remote}：核心重傳了它的 SYN+ACK',
  'ev.kernel.notice.reset-sent': '{local} → {remote}：核心送出 RST（{state}）',
  'ev.kernel.notice.reset-received': '{local} ← {remote}：收到 RST，核心重設了連線',
};
