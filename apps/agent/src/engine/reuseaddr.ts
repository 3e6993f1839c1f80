/**
 * SO_REUSEADDR, honestly.
 *
 * libuv (and so node:net) sets SO_REUSEADDR on every TCP socket it binds, on Linux unconditionally
 * (uv__tcp_bind); Node has no way to bind a TCP socket without it (`exclusive` only concerns cluster
 * workers). On Linux a bind() meets a socket in TIME_WAIT on the same port without EADDRINUSE only when
 * *both* sockets had SO_REUSEADDR. Measured here (Linux 6.18) with a reference program:
 *   old server without, restart without → EADDRINUSE      old server without, restart with → EADDRINUSE
 *   old server with,    restart without → EADDRINUSE      old server with,    restart with → bind succeeds
 * An agent server always has it, so its TIME_WAIT connections never block an agent restart; the engine
 * cannot show "without SO_REUSEADDR → EADDRINUSE" with its own sockets and does not pretend to. Instead
 * the bind reports what the kernel held on the port at that moment and whether a program without
 * SO_REUSEADDR would have failed there. (Real EADDRINUSE from TIME_WAIT does happen on ports whose
 * TIME_WAIT socket lacked SO_REUSEADDR: the tutorial's own Python server watched by the agent, or the
 * ephemeral port of an agent client that closed first.)
 */
import type { TcpState } from '@socketscope/shared';
import { readRows } from '../kernel/proc-read.ts';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

function hostOf(ep: string): string {
  const i = ep.lastIndexOf(':');
  return ep.slice(0, i).replace(/^\[|\]$/g, '');
}

export interface PortHolders {
  /** sockets the kernel holds on this address and port, by state */
  held: Partial<Record<TcpState, number>>;
  /** a bind without SO_REUSEADDR would fail: some socket that is not listening holds the address */
  wouldFailWithoutReuseAddr: boolean;
}

/** What holds host:port right now (read from /proc before bind). */
export function portHolders(host: string, port: number): PortHolders {
  const held: Partial<Record<TcpState, number>> = {};
  if (port === 0) return { held, wouldFailWithoutReuseAddr: false };
  const want = host.replace(/^::ffff:/, '');
  for (const r of readRows('tcp', { ports: (l) => l === port })) {
    const h = hostOf(r.local);
    if (h !== want && !WILDCARDS.has(h) && !WILDCARDS.has(want)) continue;
    held[r.state] = (held[r.state] ?? 0) + 1;
  }
  const wouldFail = Object.entries(held).some(([state, n]) => state !== 'LISTEN' && (n ?? 0) > 0);
  return { held, wouldFailWithoutReuseAddr: wouldFail };
}

/** The bind result's account of SO_REUSEADDR (the page translates `noteCode`; `note` is for the CLI). */
export function reuseAddrReport(requested: boolean, before: PortHolders, port: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    soReuseAddr: { requested, actual: true, setBy: requested ? 'the program' : 'libuv (Node sets it on every TCP socket it binds)' },
    portHeldBy: before.held,
  };
  if (!requested && before.wouldFailWithoutReuseAddr) {
    out['noteCode'] = 'REUSEADDR_FORCED_WOULD_FAIL';
    out['note'] = `Connections on port ${port} are still held by the kernel (e.g. TIME_WAIT). A program without SO_REUSEADDR would get EADDRINUSE here; this bind succeeded only because Node always sets SO_REUSEADDR.`;
  } else if (!requested) {
    out['noteCode'] = 'REUSEADDR_FORCED';
    out['note'] = 'Node sets SO_REUSEADDR on every TCP socket it binds, whether or not the program asked; nothing else held this port, so a program without it would have succeeded too.';
  } else if (before.wouldFailWithoutReuseAddr) {
    out['noteCode'] = 'REUSEADDR_HELPED';
    out['note'] = `Connections on port ${port} are still held by the kernel (e.g. TIME_WAIT); SO_REUSEADDR lets this bind succeed anyway.`;
  }
  return out;
}
