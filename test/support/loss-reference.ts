/**
 * Float64 reference of H-InfoNCE (CroPS Eq. 3) written straight from the definition, O(Q·C²), with
 * its analytic gradients; the yardstick for the tensor implementations' values and gradients.
 */
export interface ReferenceResult {
  loss: number;
  /** d loss / d scores, row-major [Q, C] */
  dScores: Float64Array;
  dTemperature: number;
  /** number of contributing terms */
  terms: number;
}

export function referenceHInfoNce(scores: ArrayLike<number>, grades: ArrayLike<number>, Q: number, C: number, tau: number): ReferenceResult {
  const z = Float64Array.from(scores, (s) => s / tau);
  const dz = new Float64Array(Q * C);
  let total = 0;
  let terms = 0;
  const contributions: Array<{ q: number; i: number; members: number[]; probs: number[] }> = [];
  for (let q = 0; q < Q; q++) {
    for (let i = 0; i < C; i++) {
      const gi = grades[q * C + i]!;
      if (gi < 0) continue;
      const members = [i];
      for (let k = 0; k < C; k++) {
        const gk = grades[q * C + k]!;
        if (gk >= 0 && gk < gi) members.push(k);
      }
      if (members.length === 1) continue;
      const m = Math.max(...members.map((k) => z[q * C + k]!));
      const exps = members.map((k) => Math.exp(z[q * C + k]! - m));
      const sum = exps.reduce((a, b) => a + b, 0);
      total += Math.log(sum) + m - z[q * C + i]!;
      terms++;
      contributions.push({ q, i, members, probs: exps.map((e) => e / sum) });
    }
  }
  if (terms === 0) return { loss: 0, dScores: new Float64Array(Q * C), dTemperature: 0, terms };
  for (const { q, i, members, probs } of contributions) {
    members.forEach((k, j) => {
      dz[q * C + k]! += probs[j]! / terms;
    });
    dz[q * C + i]! -= 1 / terms;
  }
  const dScores = dz.map((d) => d / tau);
  let dTemperature = 0;
  for (let j = 0; j < Q * C; j++) dTemperature -= (dz[j]! * z[j]!) / tau;
  return { loss: total / terms, dScores, dTemperature, terms };
}
