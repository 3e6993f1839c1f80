import type { lessonsLiveEn } from './lessons-live.en.ts';

/** 课程播放器的实时运行和随附录制（views/player、views/LessonList）的文字，简体中文。键与 lessons-live.en.ts 相同。 */
export const lessonsLiveZhCN: Record<keyof typeof lessonsLiveEn, string> = {
  'live.run': '● 实时运行',
  'live.runHint': '启动程序，并让它们停在每一步的套接字调用之前：按 →（或“下一步”）让下一步此刻发生，全班一起看。',
  'live.status.waiting': '实时：程序停在下一步之前。按 → 运行它。',
  'live.status.stepping': '实时：这一步正在运行…',
  'live.status.first': '实时：正在启动程序…',
  'live.status.done': '实时运行结束：每一步都运行了。按 ← 回看。',
  'live.behind': '正在回看：按 → 向前，到了最新一步再按 → 就运行下一步。',
  'live.stop': '■ 停止',
  'live.stopHint': '结束实时课程和它的程序',
  'live.next': '运行下一步',
  'code.notStarted': '尚未启动',
  'code.runOf': '{program}，pid {pid}',
  'shipped.label': '这是录制，不是在本机上的运行：{date} 录制于 {os}（{kernel}，Python {python}）。',
  'shipped.labelNoPython': '这是录制，不是在本机上的运行：{date} 录制于 {os}（{kernel}）。',
  'shipped.open': '查看录制',
  'shipped.openHint': '打开 SocketScope 随附的本课录制',
  'shipped.card': '打开录制',
  'shipped.why.noAgent': '没有连接到代理，所以课程不能在这里运行。',
  'shipped.why.noPython': '代理在本机上没有找到 Python 3，所以课程的程序不能在这里运行。',
  'shipped.why.noKernel': '代理在这里读不到内核的套接字表（需要 Linux），所以课程不能在这里运行。',
  'shipped.why.unknown': '这个代理不能运行这一课。',
  'shipped.instead': '每一课会改为打开它真实运行时的录制，并注明录制的时间和机器。',
  'lessons.introRecorded': '每一课都是教程里的 Python 程序，在真实的套接字上运行并被追踪：套接字调用、内核里的状态和缓冲区，以及线路上的报文段，一步一步地呈现。',
};
