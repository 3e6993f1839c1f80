/**
 * Child process for python-orphan.test.ts: an agent that runs a Python program which never ends (and
 * which started a process of its own), prints both pids as one JSON line, then waits to be killed.
 */
import { createAgent } from '../src/agent.ts';

const agent = createAgent({ capture: 'off', log: () => {} });
let program = 0;
agent.session.subscribe((e) => {
  if (e.type === 'proc.start') program = e.proc.pid;
  if (e.type === 'proc.output' && e.stream === 'stdout') process.stdout.write(`${JSON.stringify({ program, child: Number(e.text.trim()) })}\n`);
});
agent.start();
await agent.exec({
  op: 'py.run', name: 'forever.py', args: [], step: process.argv[2] === 'step',
  code: 'import subprocess, sys, time\np = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])\nprint(p.pid, flush=True)\nimport socket\nsocket.socket()\ntime.sleep(600)\n',
});
setInterval(() => {}, 1000);
