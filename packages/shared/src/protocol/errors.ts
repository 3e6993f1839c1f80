/**
 * Plain-language explanations of the errors a socket call can raise, in English for the CLI and
 * the event stream. The page shows its own translation from the locale files, keyed by the same code.
 */
export const ERROR_HINTS: Record<string, string> = {
  ECONNREFUSED: 'Nobody is listening on that port: the kernel there answered the SYN with RST.',
  EADDRINUSE: 'Another socket already holds this address and port (perhaps a connection still in TIME_WAIT; SO_REUSEADDR allows binding anyway).',
  EADDRNOTAVAIL: 'That address does not belong to this machine, so nothing can bind to it.',
  ECONNRESET: 'The peer reset the connection (RST): it closed abortively or had no socket for it.',
  EPIPE: 'Writing to a connection whose sending side is already shut down or closed by the peer.',
  ETIMEDOUT: 'No answer came in time: the SYN or the data was never acknowledged.',
  EACCES: 'Permission denied: ports below 1024 need root or CAP_NET_BIND_SERVICE.',
  EPERM: 'The operating system did not permit this operation.',
  ENOTCONN: 'The socket is not connected, so it cannot send or receive on a connection.',
  EHOSTUNREACH: 'No route to that host.',
  ENETUNREACH: 'No route to that network.',
  EMSGSIZE: 'The datagram is larger than the socket or the network can carry in one piece.',
  EINVAL: 'The call does not make sense in the socket’s current state.',
  EBADF: 'The socket is already closed.',
  ENOBUFS: 'The kernel ran out of buffer space for this socket.',
  EAGAIN: 'Nothing to read yet (the receive buffer is empty) or the send buffer is full.',
  E_NO_SOCKET: 'There is no socket with that id in this session.',
  E_WRONG_KIND: 'That call does not apply to this kind of socket.',
  E_INVALID: 'The command is not valid; nothing was changed.',
  E_TARGET: 'Targets outside this machine (loopback) need the agent to be started with --allow-remote.',
  E_LIMIT: 'A safety limit of the agent was reached; close something first.',
  E_READ_ONLY: 'This is a read-only view of the session; only the teacher’s page can make calls.',
  E_NOTHING_TO_ACCEPT: 'No connection is waiting: accept() would block until a client connects.',
  E_BUSY: 'Another call on this socket is still in progress.',
};

export function errorHint(code: string): string | undefined {
  return ERROR_HINTS[code];
}
