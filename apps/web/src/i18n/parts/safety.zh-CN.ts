/** 页面的安全措施（简体中文）：与 safety.en.ts 相同的键和 {占位符}。 */
export const safetyZhCN: Record<string, string> = {
  'safety.viewFailed': '此视图无法绘制，已略去；页面的其余部分照常工作。',
  'safety.viewFailedDetail': '出错原因：{detail}',
  'safety.viewRetry': '重试',
  'safety.payloads.hidden': '学生：数据已隐藏',
  'safety.payloads.shown': '学生：数据可见',
  'safety.payloads.hint': '学生的只读页面是否显示收发的字节。隐藏时，学生只看到长度，看不到字节内容。点击切换。',
  'safety.payloads.failed': '无法更改此设置：{detail}',
};
