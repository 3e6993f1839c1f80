import type { TcpBundleEvent, TcpSegmentEvent, UdpDatagramEvent } from '../protocol/events.ts';
import type { TcpFlag } from '../protocol/primitives.ts';
import { splitConnKey } from '../protocol/endpoint.ts';
import { appendBounded, newConn, own, putConn } from './fold-store.ts';
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

/** F11: client and server of a segment's connection: its key, else its SYN, else a connection already known. */
function ends(model: Model, e: { conn?: string | undefined; src: string; dst: string }, syn: boolean, ack: boolean): { client: string; server: string } {
  const given = e.conn ? splitConnKey(e.conn) : null;
  if (given) return given;
  if (syn && !ack) return { client: e.src, server: e.dst };
  if (syn && ack) return { client: e.dst, server: e.src };
  // no SYN seen and no key given: the existing connection in either direction, else src as client
  if (Object.hasOwn(model.conns, `${e.dst}>${e.src}`)) return { client: e.dst, server: e.src };
  return { client: e.src, server: e.dst };
}

/** F11: what the flags of a segment (or a bundle's segments) do to its connection's stage. */
function applyFlags(prev: ConnModel, c: ConnModel, bits: number, c2s: boolean): void {
  const syn = (bits & SYN) !== 0;
  const ack = (bits & ACK) !== 0;
  if (bits & RST) {
    c.rst = true;
    c.stage = prev.stage === 'opening' && prev.bytesC2S === 0 && prev.bytesS2C === 0 && !c.isnS2C ? 'refused' : 'reset';
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

export function foldSegment(model: Model, e: TcpSegmentEvent): void { // F11
  const bits = bitsOf(e.flags);
  const syn = (bits & SYN) !== 0;
  const ack = (bits & ACK) !== 0;
  const { client, server } = ends(model, e, syn, ack);
  const key = `${client}>${server}`;
  const known = own(model.conns, key);
  // F11: a new SYN on a 4-tuple whose connection has ended starts a new connection with that key
  const reused = known && syn && !ack && (known.stage === 'closed' || known.stage === 'reset' || known.stage === 'refused');
  const prev = known && !reused ? known : newConn(key, 'tcp', client, server, e);
  const c2s = e.src === client;
  const c: ConnModel = {
    ...prev,
    segments: prev.segments + 1,
    capturedSegments: prev.capturedSegments + (e.inferred ? 0 : 1),
    inferredSegments: prev.inferredSegments + (e.inferred ? 1 : 0),
    lastTs: e.ts,
    lastSeq: e.seq,
  };
  if (c2s) c.bytesC2S += e.len; else c.bytesS2C += e.len;
  if (syn && e.seqNo !== null) {
    if (c2s && !ack) c.isnC2S = e.seqNo;
    if (!c2s && ack) c.isnS2C = e.seqNo;
  }
  if (!c.clientSock) c.clientSock = sockFor(model, client, server);
  if (!c.serverSock) c.serverSock = sockFor(model, server, client);
  if (e.analysis?.includes('retransmission')) c.retransmissions = (prev.retransmissions ?? 0) + 1;
  keepWindow(c, e.win, c2s);
  applyFlags(prev, c, bits, c2s);
  markHandshake(c, e.flags, bits, c2s, e.seq);
  putConn(model, c);
}

/**
 * F24: a bundle counts as the segments it summarises. Its newest event replaces what the earlier ones of
 * the same id added (the connection keeps the totals it added per bundle, for its newest BUNDLES_KEPT).
 */
export function foldBundle(model: Model, e: TcpBundleEvent): void {
  const bits = bitsOf(e.flags);
  const { client, server } = ends(model, e, (bits & SYN) !== 0, (bits & ACK) !== 0);
  const key = `${client}>${server}`;
  const prev = own(model.conns, key) ?? newConn(key, 'tcp', client, server, e);
  const c2s = e.src === client;
  const kept = prev.bundles ?? [];
  const i = kept.findIndex((b) => b.id === e.bundle);
  const was = i >= 0 ? kept[i]! : { count: 0, bytes: 0, retransmissions: 0 };
  const now: BundleTotals = { id: e.bundle, count: e.count, bytes: e.bytes, retransmissions: e.retransmissions };
  const dCount = now.count - was.count;
  const c: ConnModel = {
    ...prev,
    segments: Math.max(0, prev.segments + dCount),
    capturedSegments: Math.max(0, prev.capturedSegments + dCount),
    lastTs: e.ts,
    lastSeq: e.seq,
    bundles: i >= 0 ? kept.with(i, now) : appendBounded(kept, now, BUNDLES_KEPT),
  };
  const dBytes = now.bytes - was.bytes;
  if (c2s) c.bytesC2S = Math.max(0, c.bytesC2S + dBytes); else c.bytesS2C = Math.max(0, c.bytesS2C + dBytes);
  const retrans = Math.max(0, (prev.retransmissions ?? 0) + now.retransmissions - was.retransmissions);
  if (retrans > 0 || prev.retransmissions !== undefined) c.retransmissions = retrans;
  if (!c.clientSock) c.clientSock = sockFor(model, client, server);
  if (!c.serverSock) c.serverSock = sockFor(model, server, client);
  keepWindow(c, e.win, c2s);
  applyFlags(prev, c, bits, c2s);
  putConn(model, c);
}

export function foldDatagram(model: Model, e: UdpDatagramEvent): void {
  // UDP has no connection; a "flow" per (sender, receiver) pair keeps the counts.
  const fwd = `${e.src}>${e.dst}`;
  const rev = `${e.dst}>${e.src}`;
  const back = Object.hasOwn(model.conns, rev);
  const key = back ? rev : fwd;
  // the pair from the addresses, not by splitting the key: an address may hold a '>' in a crafted file
  const prev = own(model.conns, key) ?? { ...newConn(key, 'udp', back ? e.dst : e.src, back ? e.src : e.dst, e), stage: 'open' as const };
  const c2s = e.src === prev.client;
  const c: ConnModel = {
    ...prev,
    segments: prev.segments + 1,
    capturedSegments: prev.capturedSegments + (e.inferred ? 0 : 1),
    inferredSegments: prev.inferredSegments + (e.inferred ? 1 : 0),
    bytesC2S: prev.bytesC2S + (c2s ? e.len : 0),
    bytesS2C: prev.bytesS2C + (c2s ? 0 : e.len),
    lastTs: e.ts,
    lastSeq: e.seq,
  };
  putConn(model, c);
}
