/**
 * Watch mode: the ports of programs the agent did not start (the students' own Python scripts), followed
 * through the kernel layer (the /proc probe reads `ports()` as its watchedPorts) and the wire layer
 * (capture claims their packets; with capture off, inference reads their kernel states). Rules:
 * - WA1 At most `max` ports (default 16); adding one more fails with E_LIMIT and changes nothing.
 * - WA2 A port must be 1–65535 and not one the agent refuses to watch (its own UI/WebSocket port: watching
 *   it would observe the page's own traffic, which grows with every event it shows).
 * - WA3 Every change calls onChange once (the wiring pokes the probe and the capture, so observation
 *   starts at once rather than at the next poll); adding a port already watched changes nothing.
 */
import { CommandError } from '../engine/types.ts';

export const MAX_WATCHED_PORTS = 16;

export interface PortWatcherOptions {
  max?: number;
  /** ports that must never be watched (the agent's own UI port); read at each add */
  refused?: () => number[];
  onChange?: () => void;
}

export class PortWatcher {
  private readonly watched = new Set<number>();
  private readonly max: number;

  constructor(private readonly opts: PortWatcherOptions = {}) {
    this.max = Math.max(1, opts.max ?? MAX_WATCHED_PORTS);
  }

  /** The watched ports, ascending; pass this as the probe's and the capture's watchedPorts. */
  ports(): number[] {
    return [...this.watched].toSorted((a, b) => a - b);
  }

  has(port: number): boolean {
    return this.watched.has(port);
  }

  get size(): number {
    return this.watched.size;
  }

  /** WA1, WA2, WA3. Returns the ports watched afterwards; throws CommandError (E_INVALID, E_LIMIT). */
  add(port: number): number[] {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CommandError('E_INVALID', `a port is 1–65535, not ${String(port).slice(0, 20)}`);
    if (this.opts.refused?.().includes(port)) throw new CommandError('E_INVALID', `port ${port} is the agent's own page and WebSocket; it cannot be watched`);
    if (this.watched.has(port)) return this.ports();
    if (this.watched.size >= this.max) throw new CommandError('E_LIMIT', `at most ${this.max} watched ports; remove one first`);
    this.watched.add(port);
    this.changed();
    return this.ports();
  }

  remove(port: number): number[] {
    if (this.watched.delete(port)) this.changed();
    return this.ports();
  }

  clear(): void {
    if (this.watched.size === 0) return;
    this.watched.clear();
    this.changed();
  }

  private changed(): void {
    try {
      this.opts.onChange?.();
    } catch {
      // a broken listener must not make watch.add fail after the port was added
    }
  }
}
