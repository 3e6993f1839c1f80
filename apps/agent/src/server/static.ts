/**
 * Serves the built page (apps/web/dist). Rules enforced here (tests in test/server-static.test.ts):
 *
 * H1 Only files inside the web root are served: the decoded path is resolved against the root and
 *    refused unless it stays inside; NUL bytes, bad %-escapes and symlinks out of the root are refused.
 * H2 Every response carries a strict Content-Security-Policy (scripts and styles from this origin only,
 *    the WebSocket to this same host only, no framing, no plugins, no base or form targets),
 *    `Referrer-Policy: no-referrer` (the page URL carries the token), nosniff and no framing.
 * H3 Only GET and HEAD.
 * H4 When the page has not been built, a plain page says to run `pnpm build` instead of a bare 404.
 * H5 One exception to H2's "no eval": the page's session worker (assets/session.worker-*.js, no DOM,
 *    no storage, only the WebSocket to this agent) may compile code, so that zod builds its checkers
 *    once instead of interpreting every schema for every event: 2.7–3.3 µs per event against 6–7.5 µs
 *    in this Chromium (measured on 60,000 generated events), on the worker that validates up to
 *    15,000 events a second. A dedicated worker is governed by its own script's response header, not by
 *    the page's, so the page itself stays without 'unsafe-eval'. What zod compiles is made from our
 *    schemas' keys, never from received data.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};

/** H5: the session worker's script, as the web build names it (apps/web/src/app/session.ts) */
export const SESSION_WORKER = /^session\.worker-[\w-]+\.js$/;

/** H2 (H5 with `evalInWorker`). `host` is the request's Host header, already checked against the allow-list. */
export function securityHeaders(host: string, opts: { evalInWorker?: boolean } = {}): Record<string, string> {
  const csp = [
    "default-src 'none'",
    opts.evalInWorker ? "script-src 'self' 'unsafe-eval'" : "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://${host}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string, head: boolean): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SocketScope — page not built</title></head>
<body>
<h1>SocketScope agent is running</h1>
<p>The web page has not been built yet. In the project folder run:</p>
<pre>pnpm build</pre>
<p>then reload this page (keep the <code>?token=</code> part of the address).</p>
</body></html>
`;

/** Resolves a URL path to a file under root, or null when it would leave the root (H1). */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const abs = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  const rootAbs = path.resolve(root);
  return abs === rootAbs || abs.startsWith(rootAbs + path.sep) ? abs : null;
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, host: string): Promise<void> {
  const headers = securityHeaders(host);
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    send(res, 405, { ...headers, Allow: 'GET, HEAD' }, 'method not allowed', head); // H3
    return;
  }
  const pathname = (req.url ?? '/').split('?')[0]!.split('#')[0]!;
  const rootReal = await fsp.realpath(root).catch(() => null);
  if (!rootReal) {
    const body = NOT_BUILT; // H4
    res.writeHead(503, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' });
    res.end(head ? undefined : body);
    return;
  }
  const target = resolveInside(rootReal, pathname === '/' ? '/index.html' : pathname);
  if (!target) {
    send(res, 400, headers, 'bad path', head);
    return;
  }
  let file = await fileInside(rootReal, target);
  // a path without an extension is a page route of the single-page app: serve index.html
  if (!file && path.extname(target) === '') file = await fileInside(rootReal, path.join(rootReal, 'index.html'));
  if (!file) {
    send(res, 404, headers, 'not found', head);
    return;
  }
  const type = TYPES[path.extname(file.path).toLowerCase()] ?? 'application/octet-stream';
  const worker = path.dirname(file.path) === path.join(rootReal, 'assets') && SESSION_WORKER.test(path.basename(file.path));
  // hashed assets may be cached; index.html (which names them) must not be
  const cache = file.path.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-store';
  res.writeHead(200, { ...(worker ? securityHeaders(host, { evalInWorker: true }) : headers), 'Content-Type': type, 'Content-Length': String(file.size), 'Cache-Control': cache });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(file.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** The file's real path and size if it is a regular file whose real path is still inside root (H1: symlinks). */
async function fileInside(rootReal: string, p: string): Promise<{ path: string; size: number } | null> {
  try {
    const real = await fsp.realpath(p);
    if (real !== rootReal && !real.startsWith(rootReal + path.sep)) return null;
    const st = await fsp.stat(real);
    return st.isFile() ? { path: real, size: st.size } : null;
  } catch {
    return null;
  }
}
