import type { KernelTcpEvent } from '@socketscope/shared';
import { dirOf, peerOf } from './inference-book.ts';
import type { WireInference } from './inference.ts';

/**
 * What a kernel TCP state proves about the wire (RFC 9293's state diagram, as Linux names the states).
 * This is how a watched program's connection (the students' own scripts: no api events) gets inferred
 * packets, and how the agent learns a peer's FIN before its own recv() reaches it.
 *   SYN_SENT          this end sent SYN
 *   SYN_RECV          the peer's SYN arrived and this end answered SYN+ACK
 *   ESTABLISHED       the whole handshake
 *   FIN_WAIT1         this end sent FIN (only once its send queue holds nothing but the FIN), not yet ACKed
 *   FIN_WAIT2         this end's FIN was ACKed
 *   CLOSE_WAIT        the peer's FIN arrived and was ACKed
 *   LAST_ACK          CLOSE_WAIT, then this end's FIN, not yet ACKed (gone afterwards: ACKed)
 *   CLOSING           both FINs crossed, this end's not yet ACKed
 *   TIME_WAIT         this end's FIN was ACKed and the peer's FIN got the final ACK
 * A growing receive queue proves bytes crossed from the peer, counted only when the peer is not one of the
 * agent's own sockets (whose send() calls already account for them).
 */
const OPENING = new Set(['SYN_SENT', 'SYN_RECV', 'NEW_SYN_RECV', 'LISTEN', 'CLOSE']);
/** states in which the peer's FIN has arrived: rx_queue then counts it as one byte until it is read (measured) */
const FIN_IN = new Set(['CLOSE_WAIT', 'LAST_ACK', 'CLOSING', 'TIME_WAIT']);

export function kernelRules(inf: WireInference, e: KernelTcpEvent): void {
  if (!e.conn || !e.remote) return;
  const c = inf.book.conn(e.conn);
  if (!c) return;
  const me = e.local;
  if (me !== c.client && me !== c.server) return;
  const peer = peerOf(c, me);
  const why = (what: string) => `the kernel shows ${e.state} at ${me}: ${what}`;

  if (e.gone) {
    if (e.state === 'LAST_ACK') inf.ackFin(c, me, why('the last ACK arrived and the socket is gone'));
    inf.book.recvQueues.delete(`${c.key}|${me}`);
    return;
  }
  // the agent's own sends: the queue says what has really left (I2)
  if (e.sock !== undefined) inf.sendQueue(c, me, e.sendQueue);

  if (!OPENING.has(e.state)) inf.handshake(c, 3, why('the handshake had completed'));
  // bytes before the FIN that may arrive in the same sample
  const unread = FIN_IN.has(e.state) ? Math.max(0, e.recvQueue - 1) : e.recvQueue;
  const k = `${c.key}|${me}`;
  const before = inf.book.recvQueues.get(k) ?? 0;
  inf.book.recvQueues.set(k, unread);
  const grew = unread - before;
  if (grew > 0 && inf.book.sockAt(peer, me) === undefined) {
    inf.data(c, peer, grew, `the kernel receive queue at ${me} grew by ${grew} bytes`);
  }

  // the peer's FIN is here: everything it sent before is read or waits here, an exact count
  if (FIN_IN.has(e.state)) inf.settle(c, peer, dirOf(c, peer).consumed + unread, why('every byte before the FIN had arrived'));

  const onlyFinQueued = e.sendQueue <= 1; // a FIN not yet acknowledged counts one byte in tx_queue
  switch (e.state) {
    case 'SYN_SENT': inf.handshake(c, 1, why('SYN sent')); break;
    case 'SYN_RECV':
    case 'NEW_SYN_RECV': inf.handshake(c, 2, why('SYN received, SYN+ACK sent')); break;
    case 'ESTABLISHED': inf.handshake(c, 3, why('the handshake completed')); break;
    case 'FIN_WAIT1': if (onlyFinQueued) inf.fin(c, me, why('FIN sent'), false); break;
    case 'FIN_WAIT2': inf.fin(c, me, why('its FIN was acknowledged')); break;
    case 'CLOSE_WAIT': inf.fin(c, peer, why("the peer's FIN arrived")); break;
    case 'LAST_ACK':
      inf.fin(c, peer, why("the peer's FIN arrived"));
      if (onlyFinQueued) inf.fin(c, me, why('its own FIN sent'), false);
      break;
    case 'CLOSING':
      inf.fin(c, me, why('its FIN sent'), false);
      inf.fin(c, peer, why("the peer's FIN crossed it"), false);
      break;
    case 'TIME_WAIT':
      inf.fin(c, me, why('its FIN was acknowledged'));
      inf.fin(c, peer, why("the peer's FIN got the final ACK"));
      break;
    default: break;
  }
}
