import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.ts';
import { masksFor } from './replayed-masks.ts';

const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.nextU32());

describe('masksFor', () => {
  it('replays the first draws for an input embedded again, and leaves the stream where they ended', () => {
    const rng = new Rng(11);
    const reference = new Rng(11);
    const [a, b] = [{}, {}];
    const first = draws(masksFor(a, rng), 5);
    const second = draws(masksFor(b, rng), 3);
    expect(first).toEqual(draws(reference, 5));
    expect(second).toEqual(draws(reference, 3));
    // the second forward pass of a split step: same masks for each input
    expect(draws(masksFor(a, rng), 5)).toEqual(first);
    expect(draws(masksFor(b, rng), 3)).toEqual(second);
    // a new input continues the stream as if there had been one pass
    expect(draws(masksFor({}, rng), 4)).toEqual(draws(reference, 4));
  });

  it('keeps separate streams of one input apart', () => {
    const [hidden, attention] = [new Rng(1), new Rng(2)];
    const input = {};
    const h = draws(masksFor(input, hidden), 2);
    const at = draws(masksFor(input, attention), 2);
    expect(draws(masksFor(input, hidden), 2)).toEqual(h);
    expect(draws(masksFor(input, attention), 2)).toEqual(at);
  });
});
