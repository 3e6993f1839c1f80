import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseEvent, type SessionEvent } from '@socketscope/shared';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const cli = path.join(root, 'apps/agent/src/cli.ts');

describe('socketscope watch', () => {
  it('--json reports another program’s listener and its connection from the kernel, with no agent socket ids', async () => {
    // "another program": a plain server in this test process, not opened by the agent
    const server = net.createServer((c) => { c.on('data', () => c.end('bye')); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const child = spawn(tsx, [cli, 'watch', '--port', String(port), '--json', '--for', '4', '--capture', 'off'], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // connect once the watcher says it is watching, and keep the connection open for a while
    for (let i = 0; i < 200 && !stderr.includes('watching port'); i++) await new Promise((r) => setTimeout(r, 50));
    const client = net.connect(port, '127.0.0.1');
    client.resume();
    await new Promise<void>((r) => client.once('connect', () => r()));
    await new Promise((r) => setTimeout(r, 500));
    client.write('hi');
    await new Promise<void>((r) => client.once('end', () => r()));
    client.end();
    expect(await exit, stderr).toBe(0);
    server.close();
    const events = stdout.split('\n').filter(Boolean).map((l) => {
      const r = parseEvent(JSON.parse(l));
      if (!r.ok) throw new Error(r.error);
      return r.event;
    });
    const kernel = events.filter((e): e is Extract<SessionEvent, { type: 'kernel.tcp' }> => e.type === 'kernel.tcp');
    expect(kernel.find((k) => k.local === `127.0.0.1:${port}` && k.state === 'LISTEN')).toBeDefined();
    expect(kernel.some((k) => k.state === 'ESTABLISHED')).toBe(true);
    expect(kernel.every((k) => k.sock === undefined)).toBe(true);
    expect(events.some((e) => e.type === 'api.call')).toBe(false);
  });
});
