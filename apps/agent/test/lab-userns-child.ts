/**
 * Child process for lab-userns.test.ts, run as an unprivileged user: the lab made inside a user namespace
 * (keeper.ts K5), a connection across its delayed link, then the pids of everything the lab runs as one
 * JSON line; it waits to be killed. Where the lab cannot run as this user it prints {"skip": why}.
 */
import { spawn, spawnSync } from 'node:child_process';
import { Lab } from '../src/lab/index.ts';

const st = Lab.status();
if (!st.available || st.how !== 'userns') {
  process.stdout.write(`${JSON.stringify({ skip: st.reason ?? `the lab would run as ${st.how}` })}\n`);
  process.exit(0);
}
const lab = new Lab({ log: () => {} });
await lab.up({ delayMs: 50 });
const server = lab.wrap('server', ['python3', '-c', 'import socket, time\ns = socket.socket()\ns.bind(("10.77.0.2", 9000))\ns.listen()\nprint("l", flush=True)\nc, _ = s.accept()\ntime.sleep(600)']);
const program = spawn(server[0]!, server.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
await new Promise((r) => program.stdout.once('data', r));
const client = lab.wrap('client', ['python3', '-c', 'import socket, time\nt = time.monotonic()\nsocket.create_connection(("10.77.0.2", 9000))\nprint((time.monotonic() - t) * 1000)']);
const connectMs = Number(spawnSync(client[0]!, client.slice(1), { encoding: 'utf8', timeout: 10_000 }).stdout.trim());
const inside = lab as unknown as { forwarder: { pid: number }; keeper: { pid: number }; holders: Record<string, { pid: number }> };
const pids = [inside.keeper.pid, inside.forwarder.pid, inside.holders['client']!.pid, inside.holders['server']!.pid, program.pid];
process.stdout.write(`${JSON.stringify({ how: lab.how, connectMs, pids })}\n`);
setInterval(() => {}, 1000);
