/**
 * Runs at most `limit` tasks at a time; the rest wait in arrival order. Used to bound the requests
 * in flight to an endpoint however many generations the caller asks for at once.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency limit must be a positive integer (got ${limit})`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      // hand the slot straight to the next waiter so `active` never dips and lets a newcomer jump the queue
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
