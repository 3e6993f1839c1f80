import { Command, type CommandInput } from '@socketscope/shared';
import { startAgentServer } from '/work/main/apps/agent/test/reliability-kit.ts';
const h = await startAgentServer({ session: { ringSize: 5000 } });
const exec = (c: CommandInput) => h.agent.exec(Command.parse(c)) as Promise<Record<string, unknown>>;
const l = await exec({ op: 'tcp.listen', port: 0, backlog: 16 });
const port = Number(String(l['local']).split(':').at(-1));
const k = h.agent.kernel as any;
const t0 = performance.now(); const cpu0 = process.cpuUsage();
for (let i = 0; i < 100; i++) {
  const c = await exec({ op: 'tcp.connect', port });
  const a = await exec({ op: 'tcp.accept', sock: String(l['sock']) });
  await exec({ op: 'tcp.send', sock: String(c['sock']), data: { text: 'x' } });
  await exec({ op: 'tcp.recv', sock: String(a['newSock']), max: 64 });
  await exec({ op: 'tcp.close', sock: String(c['sock']) });
  await exec({ op: 'tcp.close', sock: String(a['newSock']) });
}
const ms = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
console.log({ ms, cpuMs: (cpu.user + cpu.system) / 1000, polls: k.stats.polls, costMs: k.stats.costMs, maxPollUs: k.stats.maxPollUs });
await h.close(); process.exit(0);
