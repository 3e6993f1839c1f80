/** 頁面的安全措施（繁體中文）：與 safety.en.ts 相同的鍵和 {預留位置}。 */
export const safetyZhTW: Record<string, string> = {
  'safety.viewFailed': '此檢視無法繪製，已略去；頁面的其餘部分照常運作。',
  'safety.viewFailedDetail': '出錯原因：{detail}',
  'safety.viewRetry': '重試',
  'safety.payloads.hidden': '學生：資料已隱藏',
  'safety.payloads.shown': '學生：資料可見',
  'safety.payloads.hint': '學生的唯讀頁面是否顯示收發的位元組。隱藏時，學生只看到長度，看不到位元組內容。點擊切換。',
  'safety.payloads.failed': '無法變更此設定：{detail}',
};
