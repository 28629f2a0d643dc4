import { CropsError } from '../core/errors.ts';

/** A whole-number flag value of at least `min`; undefined when the flag was not given. */
export function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new CropsError(`${flag} expects an integer >= ${min}, got '${value}'`);
  return n;
}
