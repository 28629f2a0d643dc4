import { describe, expect, it } from 'vitest';
import type { AdamSettings } from '../../src/extension-points/encoder.ts';
import { SparseTable } from './sparse-table.ts';

const adam = (step: number, over: Partial<AdamSettings> = {}): AdamSettings => ({ lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step, ...over });
const table = (seed = 1) => new SparseTable({ rows: 50, dim: 4, initScale: 0.1, seed });
const seg = (...lists: number[][]) => {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((l, i) => (offsets[i + 1] = offsets[i]! + l.length));
  return { offsets, ids: Int32Array.from(lists.flat()) };
};

describe('SparseTable', () => {
  it('mean-pools the rows of each segment, zeros for an empty one', () => {
    const t = table();
    const { offsets, ids } = seg([3, 7, 7], [], [9]);
    const out = t.pool(offsets, ids);
    const [r3, r7, r9] = [t.row(3), t.row(7), t.row(9)];
    for (let j = 0; j < 4; j++) {
      expect(out[j]).toBeCloseTo((r3[j]! + 2 * r7[j]!) / 3, 6);
      expect(out[4 + j]).toBe(0);
      expect(out[8 + j]).toBeCloseTo(r9[j]!, 7);
    }
  });

  it('initialises a row from (seed, row) alone, whatever order rows are read in, with std initScale', () => {
    const a = table(1);
    const b = table(1);
    const first = a.row(5);
    b.row(40);
    b.row(2);
    expect(Array.from(b.row(5))).toEqual(Array.from(first));
    expect(Array.from(table(2).row(5))).not.toEqual(Array.from(first));
    const big = new SparseTable({ rows: 2000, dim: 8, initScale: 0.1, seed: 3 });
    let sum = 0;
    let sq = 0;
    for (let r = 0; r < 2000; r++) {
      for (const x of big.row(r)) {
        sum += x;
        sq += x * x;
      }
    }
    const n = 2000 * 8;
    expect(Math.abs(sum / n)).toBeLessThan(0.005);
    expect(Math.sqrt(sq / n - (sum / n) ** 2)).toBeCloseTo(0.1, 2);
  });

  it('matches dense Adam moments for a row touched at steps 1 and 4 (lazy bias handling)', () => {
    const t = table();
    const w0 = Float64Array.from(t.row(0));
    const g1 = [0.5, -1, 0.25, 2];
    const g4 = [-0.3, 0.1, 0.8, -2];
    const { offsets, ids } = seg([0]);
    t.accumulate(offsets, ids, g1, adam(1));
    t.flush();
    t.accumulate(offsets, ids, g4, adam(4));
    const got = t.row(0);
    // dense Adam with zero gradients at steps 2 and 3 for the moments; the lazy form skips those steps' moves
    const s = adam(1);
    for (let j = 0; j < 4; j++) {
      let m = (1 - s.beta1) * g1[j]!;
      let v = (1 - s.beta2) * g1[j]! ** 2;
      let w = w0[j]! - (s.lr * (m / (1 - s.beta1))) / (Math.sqrt(v / (1 - s.beta2)) + s.epsilon);
      m *= s.beta1 ** 2;
      v *= s.beta2 ** 2;
      m = s.beta1 * m + (1 - s.beta1) * g4[j]!;
      v = s.beta2 * v + (1 - s.beta2) * g4[j]! ** 2;
      w -= (s.lr * (m / (1 - s.beta1 ** 4))) / (Math.sqrt(v / (1 - s.beta2 ** 4)) + s.epsilon);
      expect(got[j]).toBeCloseTo(w, 6);
    }
  });

  it('sums the gradients a step delivers in several calls into one update, weighted by 1/segment length', () => {
    const a = table();
    const b = table();
    // a: row 4 reached from a 2-token text (weight 1/2) and, in a second call, a 1-token text
    const g = [1, 2, 3, 4];
    a.accumulate(...Object.values(seg([4, 6])) as [Int32Array, Int32Array], g, adam(1));
    a.accumulate(...Object.values(seg([4])) as [Int32Array, Int32Array], g, adam(1));
    b.accumulate(...Object.values(seg([4])) as [Int32Array, Int32Array], g.map((x) => 1.5 * x), adam(1));
    b.accumulate(...Object.values(seg([6])) as [Int32Array, Int32Array], g.map((x) => 0.5 * x), adam(1));
    expect(a.hasPending).toBe(true);
    expect(Array.from(a.row(4))).toEqual(Array.from(b.row(4)));
    expect(Array.from(a.row(6))).toEqual(Array.from(b.row(6)));
    expect(a.hasPending).toBe(false);
  });

  it('applies a step when the next step arrives, and leaves untouched rows alone', () => {
    const t = table();
    const untouched = t.row(30);
    const before = t.row(1);
    const { offsets, ids } = seg([1]);
    t.accumulate(offsets, ids, [1, 1, 1, 1], adam(1));
    t.accumulate(offsets, ids, [1, 1, 1, 1], adam(2)); // flushes step 1
    expect(t.hasPending).toBe(true);
    const after = t.row(1);
    // two Adam steps with a constant gradient move each coordinate by about 2 lr
    after.forEach((x, j) => expect(before[j]! - x).toBeCloseTo(0.02, 4));
    expect(Array.from(t.row(30))).toEqual(Array.from(untouched));
  });

  it('decays touched rows only, and restarts rows cleanly when the step count starts over', () => {
    const t = table();
    const before = t.row(2);
    const { offsets, ids } = seg([2]);
    t.accumulate(offsets, ids, [0, 0, 0, 0], adam(1, { weightDecay: 10, lr: 0.01 }));
    t.row(2).forEach((x, j) => expect(x).toBeCloseTo(before[j]! * 0.9, 6));
    t.accumulate(offsets, ids, [1, 1, 1, 1], adam(5));
    t.accumulate(offsets, ids, [1, 1, 1, 1], adam(1)); // a second run starting at step 1
    expect(t.row(2).every(Number.isFinite)).toBe(true);
  });

  it('rejects a shapeless table', () => {
    expect(() => new SparseTable({ rows: 0, dim: 4, initScale: 0.1, seed: 1 })).toThrow(/rows/);
  });
});
