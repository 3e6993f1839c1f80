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

/** Where this tab keeps its token for a reload once the address no longer shows it (per tab, per origin). */
export const TOKEN_KEY = 'socketscope.token';

type TokenStore = Pick<Storage, 'getItem' | 'setItem'>;

/**
 * The token this tab connects with: `?token=` when the address has one (kept in sessionStorage for
 * reloads of this tab), else the one an earlier load of this tab kept. The caller then removes
 * `?token=` from the address bar (withoutToken + history.replaceState), so the token is not left in
 * the address shown on a classroom projector, nor in later history entries or bookmarks.
 */
export function tokenForTab(search: string, storage: TokenStore | null): string | null {
  const fromAddress = readPageParams(search).token;
  try {
    if (fromAddress) {
      storage?.setItem(TOKEN_KEY, fromAddress);
      return fromAddress;
    }
    const kept = storage?.getItem(TOKEN_KEY) ?? null;
    return kept && kept.trim() !== '' ? kept : null;
  } catch {
    return fromAddress; // storage refused (private mode): the address is all we have
  }
}

/** The address without `?token=` (everything else kept). */
export function withoutToken(href: string): string {
  return withParam(href, 'token', null);
}

