/**
 * A token bucket per client: how many messages a page may send (rule P8 in connection.ts).
 *
 * Why a bucket with debt rather than a plain counter: a teacher clicking quickly, or a page resuming,
 * may burst; that is fine up to `burst`. Past it every message is refused (E_LIMIT) and adds to a
 * debt that refills at `perSecond`; a client whose debt passes `burst` again is not a page that
 * overshot once but one that keeps flooding, and is disconnected. So answering refusals can never cost
 * more than about 2 × burst replies per burst of abuse.
 */
export interface RateOptions {
  /** sustained messages per second */
  perSecond: number;
  /** messages that may arrive at once */
  burst: number;
}

export const DEFAULT_RATE: RateOptions = { perSecond: 50, burst: 100 };

export type Take = 'ok' | 'limited' | 'flooding';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly opts: RateOptions, private readonly now: () => number = () => performance.now()) {
    if (!(opts.perSecond > 0) || !(opts.burst >= 1)) throw new RangeError('rate: perSecond > 0 and burst >= 1');
    this.tokens = opts.burst;
    this.last = this.now();
  }

  take(): Take {
    const t = this.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((t - this.last) / 1000) * this.opts.perSecond);
    this.last = t;
    this.tokens -= 1;
    if (this.tokens >= 0) return 'ok';
    return this.tokens < -this.opts.burst ? 'flooding' : 'limited';
  }
}
