import type { Discriminator } from '../../src/extension-points/discriminator.ts';

/**
 * A discriminator with known answers for hand-built logs: `scores` maps `query|text` to a score
 * (text is an item's text or another query); pairs not listed score `fallback`.
 */
export class TableDiscriminator implements Discriminator {
  private readonly table: Map<string, number>;

  constructor(
    scores: Record<string, number>,
    private readonly fallback = 0,
  ) {
    this.table = new Map(Object.entries(scores));
  }

  score(query: string, text: string): number {
    return this.table.get(`${query}|${text}`) ?? this.fallback;
  }
}
