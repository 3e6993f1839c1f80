import type { TcpBundleEvent, TcpSegmentEvent, UdpDatagramEvent } from '../protocol/events.ts';
import type { TcpFlag } from '../protocol/primitives.ts';
import { splitConnKey } from '../protocol/endpoint.ts';
import { newConn, own, pushBounded, putConn, writableConn } from './fold-store.ts';
import { BUNDLES_KEPT, type BundleTotals, type ConnModel, type Model } from './model.ts';

/** The wire layer's rules F11, F18, F21 and F24 (fold.ts states them). */

const SYN = 1, ACK = 2, FIN = 4, RST = 8;

/** the flags F11 and F21 look at, read once per segment */
function bitsOf(flags: readonly TcpFlag[]): number {
  let b = 0;
  for (const f of flags) b |= f === 'SYN' ? SYN : f === 'ACK' ? ACK : f === 'FIN' ? FIN : f === 'RST' ? RST : 0;
  return b;
}

function sockFor(model: Model, local: string, remote: string): string | undefined {
  return own(model.byEndpoints, `${local}|${remote}`);
}

/**
 * F11: client and server of a segment's connection, and its key: the key given (split at its first '>', so
 * client>server is that key: it is used as it is), else its SYN, else a connection already known.
 */
function ends(model: Model, e: { conn?: string | undefined; src: string; dst: string }, syn: boolean, ack: boolean): { client: string; server: string; key: string } {
  const given = e.conn ? splitConnKey(e.conn) : null;
  if (given) return { client: given.client, server: given.server, key: e.conn! };
  if (syn && !ack) return { client: e.src, server: e.dst, key: `${e.src}>${e.dst}` };
  if (syn && ack) return { client: e.dst, server: e.src, key: `${e.dst}>${e.src}` };
  // no SYN seen and no key given: the existing connection in either direction, else src as client
  const back = `${e.dst}>${e.src}`;
  if (Object.hasOwn(model.conns, back)) return { client: e.dst, server: e.src, key: back };
  return { client: e.src, server: e.dst, key: `${e.src}>${e.dst}` };
}

/**
 * F11: what the flags of a segment (or a bundle's segments) do to its connection's stage. `quiet`: before
 * this segment the connection was opening and had carried no data (a RST then refuses it).
 */
function applyFlags(c: ConnModel, bits: number, c2s: boolean, quiet: boolean): void {
  const syn = (bits & SYN) !== 0;
  const ack = (bits & ACK) !== 0;
  if (bits & RST) {
    c.rst = true;
    c.stage = quiet && !c.isnS2C ? 'refused' : 'reset';
    return;
  }
  const fin = (bits & FIN) !== 0;
  if (fin) { if (c2s) c.finC2S = true; else c.finS2C = true; }
  if (c.stage === 'opening' && ack && !syn) c.stage = 'open';
  if (c.stage === 'open' && (c.finC2S || c.finS2C)) c.stage = 'closing';
  if (c.stage === 'closing' && c.finC2S && c.finS2C && ack && !fin) c.stage = 'closed';
}

/** F18: the window a captured segment or bundle advertised, kept for its direction. */
function keepWindow(c: ConnModel, win: number | null, c2s: boolean): void {
  if (win === null) return;
  if (c2s) c.winC2S = win; else c.winS2C = win;
}

/** F21: SYN, SYN+ACK and the client's bare ACK right after the SYN+ACK (the handshake's third step). */
function markHandshake(c: ConnModel, flags: readonly TcpFlag[], bits: number, c2s: boolean, seq: number): void {
  const syn = (bits & SYN) !== 0;
  const ack = (bits & ACK) !== 0;
  const hs = c.handshake;
  if (syn && !ack && c2s) c.handshake = { syn: seq };
  else if (syn && ack && !c2s) { if (hs?.ack === undefined) c.handshake = { ...hs, synAck: seq }; }
  else if (c2s && flags.length === 1 && ack && hs?.synAck !== undefined && hs.ack === undefined && !c.rst) c.handshake = { ...hs, ack: seq };
}

export function foldSegment(model: Model, e: TcpSegmentEvent, epoch: number): void { // F11
  const bits = bitsOf(e.flags);
  const syn = (bits & SYN) !== 0;
  const ack = (bits & ACK) !== 0;
  const { client, server, key } = ends(model, e, syn, ack);
  const known = own(model.conns, key);
  // F11: a new SYN on a 4-tuple whose connection has ended starts a new connection with that key
  const reused = known && syn && !ack && (known.stage === 'closed' || known.stage === 'reset' || known.stage === 'refused');
  const c = known && !reused ? writableConn(known, epoch) : newConn(key, 'tcp', client, server, e, epoch);
  const quiet = c.stage === 'opening' && c.bytesC2S === 0 && c.bytesS2C === 0;
  const c2s = e.src === client;
  c.segments++;
  if (e.inferred) c.inferredSegments++; else c.capturedSegments++;
  c.lastTs = e.ts;
  c.lastSeq = e.seq;
  if (c2s) c.bytesC2S += e.len; else c.bytesS2C += e.len;
  if (syn && e.seqNo !== null) {
    if (c2s && !ack) c.isnC2S = e.seqNo;
    if (!c2s && ack) c.isnS2C = e.seqNo;
  }
  if (!c.clientSock) c.clientSock = sockFor(model, client, server);
  if (!c.serverSock) c.serverSock = sockFor(model, server, client);
  if (e.analysis?.includes('retransmission')) c.retransmissions = (c.retransmissions ?? 0) + 1;
  keepWindow(c, e.win, c2s);
  applyFlags(c, bits, c2s, quiet);
  markHandshake(c, e.flags, bits, c2s, e.seq);
  putConn(model, c, known);
}

/**
 * F24: a bundle counts as the segments it summarises. Its newest event replaces what the earlier ones of
 * the same id added (the connection keeps the totals it added per bundle, for its newest BUNDLES_KEPT).
 */
export function foldBundle(model: Model, e: TcpBundleEvent, epoch: number): void {
  const bits = bitsOf(e.flags);
  const { client, server, key } = ends(model, e, (bits & SYN) !== 0, (bits & ACK) !== 0);
  const known = own(model.conns, key);
  const c = known ? writableConn(known, epoch) : newConn(key, 'tcp', client, server, e, epoch);
  const quiet = c.stage === 'opening' && c.bytesC2S === 0 && c.bytesS2C === 0;
  const c2s = e.src === client;
  const kept = c.bundles;
  const i = kept ? kept.findIndex((b) => b.id === e.bundle) : -1;
  const was = i >= 0 ? kept![i]! : { count: 0, bytes: 0, retransmissions: 0 };
  const now: BundleTotals = { id: e.bundle, count: e.count, bytes: e.bytes, retransmissions: e.retransmissions };
  const dCount = now.count - was.count;
  c.segments = Math.max(0, c.segments + dCount);
  c.capturedSegments = Math.max(0, c.capturedSegments + dCount);
  c.lastTs = e.ts;
  c.lastSeq = e.seq;
  if (!kept) c.bundles = [now];
  else if (i >= 0) kept[i] = now;
  else pushBounded(kept, now, BUNDLES_KEPT);
  const dBytes = now.bytes - was.bytes;
  if (c2s) c.bytesC2S = Math.max(0, c.bytesC2S + dBytes); else c.bytesS2C = Math.max(0, c.bytesS2C + dBytes);
  const retrans = Math.max(0, (c.retransmissions ?? 0) + now.retransmissions - was.retransmissions);
  if (retrans > 0 || c.retransmissions !== undefined) c.retransmissions = retrans;
  if (!c.clientSock) c.clientSock = sockFor(model, client, server);
  if (!c.serverSock) c.serverSock = sockFor(model, server, client);
  keepWindow(c, e.win, c2s);
  applyFlags(c, bits, c2s, quiet);
  putConn(model, c, known);
}

export function foldDatagram(model: Model, e: UdpDatagramEvent, epoch: number): void {
  // UDP has no connection; a "flow" per (sender, receiver) pair keeps the counts.
  const fwd = `${e.src}>${e.dst}`;
  const rev = `${e.dst}>${e.src}`;
  const back = Object.hasOwn(model.conns, rev);
  const key = back ? rev : fwd;
  // the pair from the addresses, not by splitting the key: an address may hold a '>' in a crafted file
  const known = own(model.conns, key);
  let c: ConnModel;
  if (known) c = writableConn(known, epoch);
  else {
    c = newConn(key, 'udp', back ? e.dst : e.src, back ? e.src : e.dst, e, epoch);
    c.stage = 'open';
  }
  const c2s = e.src === c.client;
  c.segments++;
  if (e.inferred) c.inferredSegments++; else c.capturedSegments++;
  if (c2s) c.bytesC2S += e.len; else c.bytesS2C += e.len;
  c.lastTs = e.ts;
  c.lastSeq = e.seq;
  putConn(model, c, known);
}
