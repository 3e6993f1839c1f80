import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Command, type EventInput, type SessionEvent } from '../packages/shared/src/index.ts';
import { createEngine } from '../apps/agent/src/engine/index.ts';
import { createAgent } from '../apps/agent/src/agent.ts';
import { ROOT } from './lib/agent-process.ts';
const BYTES = 256 * 2 ** 20;
const sinkP = spawn(process.execPath, [path.join(ROOT, 'bench/fixtures/sink.mjs'), String(BYTES)], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines = createInterface({ input: sinkP.stdout! })[Symbol.asyncIterator]();
const port = JSON.parse((await lines.next()).value).port;
const next = async () => JSON.parse((await lines.next()).value).ms as number;
async function plain() {
  const chunk = Buffer.alloc(65536, 0x61);
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  let sent = 0;
  await new Promise<void>((res) => { const pump = () => { while (sent < BYTES) { sent += 65536; if (!s.write(chunk)) return void s.once('drain', pump); } res(); }; pump(); });
  const ms = await next(); s.destroy(); return ms;
}
async function engine(emitKind: 'noop' | 'agent') {
  let exec: (c: any) => Promise<any>;
  let stop = async () => {};
  if (emitKind === 'noop') {
    let seq = 0;
    const e = createEngine({ emit: (x: EventInput) => ({ ...x, v: 1, seq: seq++, ts: 0 }) as SessionEvent, allowRemote: false });
    exec = (c) => e.exec(Command.parse(c) as any);
    stop = () => e.closeAll();
  } else {
    const a = createAgent({ capture: 'off', log: () => {} }); a.start();
    exec = (c) => a.exec(Command.parse(c)); stop = () => a.stop();
  }
  const c = await exec({ op: 'tcp.connect', port });
  await exec({ op: 'tcp.sendBulk', sock: c.sock, bytes: BYTES, chunk: 65536 });
  const ms = await next(); await stop(); return ms;
}
for (let i = 0; i < 1; i++) {
  console.log("agent", (await engine("agent")).toFixed(0));
}
sinkP.kill(); process.exit(0);
