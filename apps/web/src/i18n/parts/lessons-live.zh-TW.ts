import type { lessonsLiveEn } from './lessons-live.en.ts';

/** 課程播放器的即時執行和隨附錄製（views/player、views/LessonList）的文字，繁體中文。鍵與 lessons-live.en.ts 相同。 */
export const lessonsLiveZhTW: Record<keyof typeof lessonsLiveEn, string> = {
  'live.run': '● 即時執行',
  'live.runHint': '啟動程式，並讓它們停在每一步的套接字呼叫之前：按 →（或「下一步」）讓下一步此刻發生，全班一起看。',
  'live.status.waiting': '即時：程式停在下一步之前。按 → 執行它。',
  'live.status.stepping': '即時：這一步正在執行…',
  'live.status.first': '即時：正在啟動程式…',
  'live.status.done': '即時執行結束：每一步都執行了。按 ← 回看。',
  'live.behind': '正在回看：按 → 向前，到了最新一步再按 → 就執行下一步。',
  'live.stop': '■ 停止',
  'live.stopHint': '結束即時課程和它的程式',
  'live.next': '執行下一步',
  'code.notStarted': '尚未啟動',
  'code.runOf': '{program}，pid {pid}',
  'shipped.label': '這是錄製，不是在本機上的執行：{date} 錄製於 {os}（{kernel}，Python {python}）。',
  'shipped.labelNoPython': '這是錄製，不是在本機上的執行：{date} 錄製於 {os}（{kernel}）。',
  'shipped.open': '檢視錄製',
  'shipped.openHint': '開啟 SocketScope 隨附的本課錄製',
  'shipped.card': '開啟錄製',
  'shipped.why.noAgent': '沒有連線到代理程式，所以課程不能在這裡執行。',
  'shipped.why.noPython': '代理程式在本機上沒有找到 Python 3，所以課程的程式不能在這裡執行。',
  'shipped.why.noKernel': '代理程式在這裡讀不到核心的套接字表（需要 Linux），所以課程不能在這裡執行。',
  'shipped.why.unknown': '這個代理程式不能執行這一課。',
  'shipped.instead': '每一課會改為開啟它真實執行時的錄製，並註明錄製的時間和機器。',
  'lessons.introRecorded': '每一課都是教程裡的 Python 程式，在真實的套接字上執行並被追蹤：套接字呼叫、核心裡的狀態和緩衝區，以及線路上的區段，一步一步地呈現。',
};
