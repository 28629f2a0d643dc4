import { CropsError } from '../core/errors.ts';

/** MLflow's length limits (mlflow/utils/validation.py); a server rejects anything longer. */
export const MLFLOW_LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
} as const;

/** Letters, digits, `_ - . / space :` — the characters MLflow allows in param, metric and tag keys. */
const KEY_CHARS = /^[\p{L}\p{N}_\-. /:]+$/u;

export type KeyKind = 'param' | 'metric' | 'tag';

/**
 * Why `key` is not a valid MLflow key, or `undefined` when it is. Keys become file paths in the
 * file store, so besides the character set MLflow requires that a key is its own normalised path:
 * no leading `/`, no empty, `.` or `..` segments, no trailing `/`, and nothing starting with `..`.
 */
export function mlflowKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'it is empty';
  if (key.length > MLFLOW_LIMITS.keyLength) return `it is ${key.length} characters long (at most ${MLFLOW_LIMITS.keyLength})`;
  if (!KEY_CHARS.test(key)) {
    const bad = [...new Set([...key].filter((c) => !KEY_CHARS.test(c)))].map((c) => JSON.stringify(c)).join(', ');
    return `it contains ${bad}; keys may only contain letters, digits and _ - . / space :`;
  }
  if (key.startsWith('/')) return 'it starts with /';
  if (key.startsWith('..')) return 'it starts with ..';
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return 'it has an empty, "." or ".." path segment (keys are stored as file paths and must not resolve to another name)';
  }
  return undefined;
}

/** Throws a {@link CropsError} naming the key and the rule it breaks. */
export function assertMlflowKey(kind: KeyKind, key: string): void {
  const problem = mlflowKeyProblem(key);
  if (problem) throw new CropsError(`invalid MLflow ${kind} key ${JSON.stringify(key)}: ${problem}`);
}

/** Checks a param value against MLflow's 6000-character limit. */
export function assertParamValue(key: string, value: string): void {
  if (typeof value !== 'string') throw new CropsError(`MLflow param ${JSON.stringify(key)} must be a string (got ${typeof value})`);
  if (value.length > MLFLOW_LIMITS.paramValueLength) {
    throw new CropsError(
      `MLflow param ${JSON.stringify(key)} is ${value.length} characters long; MLflow accepts at most ${MLFLOW_LIMITS.paramValueLength}. ` +
        'Log long values as an artifact instead.',
    );
  }
}

/** Checks a tag value against MLflow's 8000-character limit. */
export function assertTagValue(key: string, value: string): void {
  if (typeof value !== 'string') throw new CropsError(`MLflow tag ${JSON.stringify(key)} must be a string (got ${typeof value})`);
  if (value.length > MLFLOW_LIMITS.tagValueLength) {
    throw new CropsError(
      `MLflow tag ${JSON.stringify(key)} is ${value.length} characters long; MLflow accepts at most ${MLFLOW_LIMITS.tagValueLength}.`,
    );
  }
}

/** Checks one metric point: valid key, numeric value, integer step and timestamp. */
export function assertMetricPoint(p: { key: string; value: number; step: number; timestamp?: number }): void {
  assertMlflowKey('metric', p.key);
  if (typeof p.value !== 'number') throw new CropsError(`MLflow metric ${JSON.stringify(p.key)} must be a number (got ${typeof p.value})`);
  if (!Number.isSafeInteger(p.step)) throw new CropsError(`MLflow metric ${JSON.stringify(p.key)}: step must be an integer (got ${p.step})`);
  if (p.timestamp !== undefined && !Number.isSafeInteger(p.timestamp)) {
    throw new CropsError(`MLflow metric ${JSON.stringify(p.key)}: timestamp must be integer milliseconds (got ${p.timestamp})`);
  }
}

/** Checks every key and value of a params map before anything is written. */
export function assertParams(params: Record<string, string>): void {
  for (const [key, value] of Object.entries(params)) {
    assertMlflowKey('param', key);
    assertParamValue(key, value);
  }
}

/** Checks every key and value of a tags map before anything is written. */
export function assertTags(tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    assertMlflowKey('tag', key);
    assertTagValue(key, value);
  }
}
