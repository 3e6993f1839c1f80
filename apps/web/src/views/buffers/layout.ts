import type { SocketModel } from '@socketscope/shared';
import { b64ToBytes } from '../../format/bytes.ts';

/**
 * What the kernel buffers hold, for one socket (LESSONS facts 5, 8, 10): send() copies into the send
 * buffer (发送缓冲区), recv() copies out of the receive buffer (接收缓冲区), and TCP keeps no
 * message boundaries — so two send() chunks can come out of one recv() (粘包).
 *
 * B1  Byte counts come from the kernel layer (sendQueue, recvQueue); without a kernel sample they are
 *     "unknown", never 0.
 * B2  The send buffer holds the LAST sendQueue bytes this socket sent: [bytesSent − sendQueue, bytesSent).
 *     The receive buffer holds the peer's bytes [bytesReceived, bytesReceived + recvQueue).
 * B3  Bytes are shown one by one only when few and actually known (recent chunks with their previews);
 *     each comes with the send() chunk it was written by, and a boundary mark where a chunk starts.
 * B4  Capacity is the kernel's where known (rcv_space, snd_wnd) and says so; otherwise the bar has an
 *     automatic scale that is labelled as such.
 */

export interface BufferChunk {
  seq: number;
  call: 'send' | 'recv';
  len: number;
  b64: string;
}

export interface Glyph {
  /** the character, or two hex digits for a byte that is not printable text */
  text: string;
  /** bytes this glyph stands for (a CJK character in UTF-8 is 3) */
  bytes: number;
  hex: boolean;
  /** ordinal of the send() that wrote it (colour and number), −1 when unknown */
  chunk: number;
  /** a send() chunk starts here: draw a boundary */
  boundary: boolean;
}

export interface BufferView {
  /** B1: null when the kernel was never observed for this socket */
  used: number | null;
  capacity: number | null;
  capacitySource: 'rcvBuf' | 'sndBuf' | 'rcvSpace' | 'sndWnd' | null;
  /** full scale of the bar: the capacity, or a power of two above the contents */
  scale: number;
  fill: number;
  /** B3: the bytes, when few and known */
  glyphs: Glyph[] | null;
  /** how many send() chunks the contents come from (known part) */
  chunks: number;
}

export interface RecvView {
  seq: number;
  len: number;
  glyphs: Glyph[];
  /** send() chunks this one recv() returned bytes from: ≥ 2 is 粘包 */
  fromSends: number;
  /** this recv() took part of a send(): the rest came in another recv() */
  partOfSend: boolean;
}

export interface BuffersLayout {
  kind: 'tcp' | 'listener' | 'udp';
  send: BufferView;
  recv: BufferView;
  /** the last few recv() calls with where their bytes came from */
  recentRecvs: RecvView[];
  accept?: { queued: number | null; backlog: number | null; heldByAgent: number; slots: number };
  udp?: { drops: number | null };
  windows: { advertised: number | null; peer: number | null };
  /** no kernel observation for this socket yet */
  kernelUnknown: boolean;
}

export const MAX_GLYPH_BYTES = 64;
const RECENT_RECVS = 4;

interface Placed { ordinal: number; from: number; to: number; bytes: Uint8Array; len: number }

/** Gives each send() chunk its stream offsets, the last one ending at `end` (B2). */
function place(chunks: readonly BufferChunk[], call: 'send' | 'recv', end: number): Placed[] {
  const own = chunks.filter((c) => c.call === call);
  const out: Placed[] = [];
  let to = end;
  for (let i = own.length - 1; i >= 0; i--) {
    const c = own[i]!;
    out.unshift({ ordinal: i, from: to - c.len, to, bytes: b64ToBytes(c.b64), len: c.len });
    to -= c.len;
  }
  return out;
}

function utf8Len(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead < 0xe0) return 2;
  if (lead >= 0xe0 && lead < 0xf0) return 3;
  if (lead >= 0xf0 && lead < 0xf5) return 4;
  return 0;
}

const CONTROL: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x00: '\\0', 0x20: '␣' };

/**
 * The stream range [from, to) as glyphs, from the chunks that cover it; null when any byte of it is
 * not known (outside the chunks, or past a truncated preview).
 */
export function glyphsFor(placed: readonly Placed[], from: number, to: number): Glyph[] | null {
  const out: Glyph[] = [];
  let pos = from;
  while (pos < to) {
    const c = placed.find((p) => p.from <= pos && pos < p.to);
    if (!c) return null;
    const off = pos - c.from;
    const b = c.bytes[off];
    if (b === undefined) return null;
    const boundary = pos === c.from;
    const n = utf8Len(b);
    const seq = n > 1 && off + n <= c.bytes.length && pos + n <= Math.min(to, c.to) ? c.bytes.subarray(off, off + n) : null;
    let text: string | null = null;
    if (n === 1 && b >= 0x21 && b < 0x7f) text = String.fromCharCode(b);
    else if (n === 1 && CONTROL[b] !== undefined) text = CONTROL[b];
    else if (seq) {
      try { text = new TextDecoder('utf-8', { fatal: true }).decode(seq); } catch { text = null; }
    }
    if (text !== null && seq) {
      out.push({ text, bytes: n, hex: false, chunk: c.ordinal, boundary });
      pos += n;
    } else {
      out.push({ text: text ?? b.toString(16).padStart(2, '0'), bytes: 1, hex: text === null, chunk: c.ordinal, boundary });
      pos += 1;
    }
  }
  return out;
}

function autoScale(used: number): number {
  let s = 1024;
  while (s < used * 1.25) s *= 2;
  return s;
}

function view(used: number | null, capacity: number | undefined, source: BufferView['capacitySource'], placed: readonly Placed[] | null, from: number): BufferView {
  const cap = capacity !== undefined && capacity > 0 ? capacity : null;
  const n = used ?? 0;
  const scale = cap !== null && cap >= n ? cap : autoScale(n);
  const glyphs = placed && used !== null && used > 0 && used <= MAX_GLYPH_BYTES ? glyphsFor(placed, from, from + used) : null;
  return {
    used, capacity: cap, capacitySource: cap !== null ? source : null, scale, fill: Math.min(1, n / scale), glyphs,
    chunks: glyphs ? new Set(glyphs.map((g) => g.chunk)).size : 0,
  };
}

export function layoutBuffers(
  socket: SocketModel,
  recentData: readonly BufferChunk[] = [],
  peer?: { socket: SocketModel; recentData?: readonly BufferChunk[] },
  windows?: { advertised?: number | null; peerAdvertised?: number | null },
): BuffersLayout {
  const kind = socket.role === 'listener' ? 'listener' : socket.proto === 'udp' ? 'udp' : 'tcp';
  // B1: a TCP socket's state, or a UDP socket's drop counter, proves the kernel was read for it
  const kernelUnknown = socket.proto === 'udp' ? socket.drops === undefined : socket.state === undefined;
  const sendQ = kernelUnknown ? null : socket.sendQueue;
  const recvQ = kernelUnknown ? null : socket.recvQueue;

  const ownSends = place(recentData, 'send', socket.bytesSent);
  const peerSends = peer ? place(peer.recentData ?? [], 'send', peer.socket.bytesSent) : null;
  // the buffer's size where the kernel told it (skmem: SO_SNDBUF/SO_RCVBUF, counted in memory, so the
  // payload bytes of a full buffer come close to it on loopback); else the windows, labelled as such
  const info = socket.info;
  const send = info?.sndBuf ? view(sendQ, info.sndBuf, 'sndBuf', ownSends, socket.bytesSent - (sendQ ?? 0)) : view(sendQ, info?.sndWnd, 'sndWnd', ownSends, socket.bytesSent - (sendQ ?? 0));
  const recvData = kind === 'udp' ? null : peerSends;
  const recv = info?.rcvBuf ? view(recvQ, info.rcvBuf, 'rcvBuf', recvData, socket.bytesReceived) : view(recvQ, info?.rcvSpace, 'rcvSpace', recvData, socket.bytesReceived);

  const recentRecvs: RecvView[] = [];
  const recvs = place(recentData, 'recv', socket.bytesReceived).filter((r) => r.len > 0).slice(-RECENT_RECVS);
  for (const r of recvs) {
    const glyphs = kind !== 'udp' && peerSends ? glyphsFor(peerSends, r.from, r.to) : null;
    const own = glyphs ?? glyphsFor([{ ...r, ordinal: -1 }], r.from, r.to) ?? [];
    const sends = peerSends?.filter((s) => s.from < r.to && r.from < s.to) ?? [];
    recentRecvs.push({
      seq: recentData.filter((c) => c.call === 'recv')[r.ordinal]!.seq, len: r.len, glyphs: own.slice(0, MAX_GLYPH_BYTES),
      fromSends: sends.length, partOfSend: sends.some((s) => s.from < r.from || s.to > r.to),
    });
  }

  const out: BuffersLayout = {
    kind, send, recv, recentRecvs, kernelUnknown,
    windows: { advertised: windows?.advertised ?? null, peer: windows?.peerAdvertised ?? socket.info?.sndWnd ?? null },
  };
  if (kind === 'listener') {
    const backlog = socket.backlog ?? null;
    out.accept = { queued: kernelUnknown ? null : socket.acceptQueue ?? 0, backlog, heldByAgent: socket.pendingAccept, slots: Math.min(backlog ?? 8, 32) };
  }
  if (kind === 'udp') out.udp = { drops: socket.drops ?? null };
  return out;
}
