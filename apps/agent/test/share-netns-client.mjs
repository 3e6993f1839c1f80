// A student's machine, run inside the network namespace share-netns.test.ts makes:
//   ip netns exec NS node share-netns-client.mjs <students' link> <teacher's token>
// It reaches the agent only across the veth pair, prints one JSON line per finding, keeps its
// read-only page open until it reads "close" on stdin, and gives up by itself after 60 s.
import http from 'node:http';
import WebSocket from 'ws';

const [link, fullToken] = process.argv.slice(2);
const u = new URL(link);
const base = `http://${u.host}`;
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
setTimeout(() => { out({ step: 'gave-up' }); process.exit(3); }, 60_000).unref();

// node:http rather than fetch: fetch silently drops a Host header, and the rebinding check needs one
function page(host) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: u.hostname, port: Number(u.port), path: '/', headers: host ? { Host: host } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, csp: res.headers['content-security-policy'] ?? '', referrer: res.headers['referrer-policy'] ?? null }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

function open(token, extra = {}) {
  const ws = new WebSocket(`ws://${u.host}/ws?token=${encodeURIComponent(token)}`, { origin: base, ...extra });
  const inbox = [];
  const waiters = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    inbox.push(m);
    for (const w of waiters.splice(0)) if (!w(m)) waiters.push(w);
  });
  const next = (pred, ms = 10_000) => new Promise((resolve, reject) => {
    const have = inbox.find(pred);
    if (have) return resolve(have);
    const t = setTimeout(() => reject(new Error(`timeout waiting; got ${inbox.map((m) => m.t).join(',')}`)), ms);
    waiters.push((m) => (pred(m) ? (clearTimeout(t), resolve(m), true) : false));
  });
  const opened = new Promise((resolve) => {
    ws.once('open', () => resolve({ ok: true }));
    ws.once('unexpected-response', (_q, res) => resolve({ ok: false, status: res.statusCode }));
    ws.once('error', (e) => resolve({ ok: false, error: e.code ?? e.message }));
  });
  return { ws, inbox, next, opened };
}

out({ step: 'page', ...(await page()) });
out({ step: 'page-rebound', ...(await page(`127.0.0.1:${u.port}`)) });

const teacher = open(fullToken);
out({ step: 'full-token', ...(await teacher.opened) });

const viewer = open(u.searchParams.get('token'));
const opened = await viewer.opened;
if (!opened.ok) { out({ step: 'viewer', ...opened }); process.exit(2); }
const hello = await viewer.next((m) => m.t === 'hello');
viewer.ws.send(JSON.stringify({ t: 'sync', protocolVersion: hello.protocolVersion, since: null }));
await viewer.next((m) => m.t === 'synced');
viewer.ws.send(JSON.stringify({ t: 'cmd', id: 'v1', cmd: { op: 'tcp.listen', host: '127.0.0.1', port: 0 } }));
viewer.ws.send(JSON.stringify({ t: 'cmd', id: 'v2', cmd: { op: 'session.reset' } }));
const replies = [await viewer.next((m) => m.re === 'v1'), await viewer.next((m) => m.re === 'v2')];
out({ step: 'viewer', ok: true, readOnly: hello.readOnly, share: hello.share ?? null, replies: replies.map((r) => r.error?.code ?? 'ok') });

// the teacher makes a call on its own machine; the student sees it arrive
const listen = await viewer.next((m) => m.t === 'events' && m.events.some((e) => e.type === 'api.call' && e.call === 'listen'), 20_000);
out({ step: 'saw-listen', sock: listen.events.find((e) => e.call === 'listen').sock });

process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (!d.includes('close')) return;
  viewer.ws.close();
  viewer.ws.once('close', () => { out({ step: 'closed', viewersMessages: viewer.inbox.filter((m) => m.t === 'viewers').length }); process.exit(0); });
});
out({ step: 'waiting' });
