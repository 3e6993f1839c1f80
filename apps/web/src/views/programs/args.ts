/**
 * The arguments field as a terminal would split it: words separated by blanks, '…' taken as it is,
 * "…" with \" and \\ escapes, a backslash outside quotes escaping the next character. A student copies
 * `python3 tcp_client.py 127.0.0.1 "hello world"` from a tutorial: the page must give the program the
 * same sys.argv. No variables, globs or other shell syntax: the agent runs no shell.
 */
export const MAX_ARGS = 32;
export const MAX_ARG_LEN = 1024;

export type ArgsResult = { ok: true; args: string[] } | { ok: false; problem: 'quote' | 'tooMany' | 'tooLong' };

export function splitArgs(line: string): ArgsResult {
  const args: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) cur += line[++i]!;
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]!;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) args.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) return { ok: false, problem: 'quote' };
  if (inWord) args.push(cur);
  if (args.length > MAX_ARGS) return { ok: false, problem: 'tooMany' };
  if (args.some((a) => a.length > MAX_ARG_LEN)) return { ok: false, problem: 'tooLong' };
  return { ok: true, args };
}
