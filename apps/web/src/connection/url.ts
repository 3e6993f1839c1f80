/**
 * What the page learns from its own address: the session token (`?token=`), the language (`?lang=`)
 * and projector mode (`?projector=1`). The token is the agent's per-run secret; it only ever goes
 * back to the same origin, on the WebSocket URL.
 */
export interface PageParams {
  token: string | null;
  lang: string | null;
  projector: boolean;
}

export function readPageParams(search: string): PageParams {
  const q = new URLSearchParams(search);
  const token = q.get('token');
  return {
    token: token && token.trim() !== '' ? token.trim() : null,
    lang: q.get('lang'),
    projector: q.get('projector') === '1' || q.get('projector') === 'true',
  };
}

export function wsUrl(location: { protocol: string; host: string }, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`;
}

/** Keeps ?lang= (and ?projector=) in the address bar so a reload keeps the choice. */
export function withParam(href: string, name: string, value: string | null): string {
  const u = new URL(href);
  if (value === null) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return u.toString();
}
