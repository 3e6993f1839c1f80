/**
 * Child process for capture-orphan.test.ts: starts packet capture, prints the capture subprocess's
 * process group and the tool's pid as one JSON line once it runs, then waits to be killed. The filter
 * matches nothing, so tcpdump never writes to its pipe and cannot die of SIGPIPE: only the watchdog
 * can end it (measured: with a busy filter, a bare tcpdump dies of SIGPIPE within 0.5 s anyway).
 */
import { spawnSync } from 'node:child_process';
import { CaptureSource } from '../src/wire/capture.ts';

// a filter nothing matches: tcpdump never writes, so only the watchdog (not SIGPIPE) can end it
const capture = new CaptureSource({ baseFilter: process.argv[2] ?? 'tcp port 1' });
capture.start((e) => {
  if (e.type === 'source.status' && e.status.running) {
    const pgid = capture.processGroup!;
    const tool = spawnSync('pgrep', ['-g', String(pgid), '-x', 'tcpdump'], { encoding: 'utf8' }).stdout.trim();
    process.stdout.write(`${JSON.stringify({ pgid, tool: Number(tool) })}\n`);
  }
  return { ...e, v: 1, seq: 0, ts: 0 } as never;
});
setInterval(() => {}, 1000);
