import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/**
 * SciPy as a reference for the report's statistics: `.ci/run` installs it in the MLflow venv and
 * sets CROPS_REQUIRE_SCIPY=1, so in CI a missing SciPy fails the comparisons instead of skipping
 * them. Elsewhere `CROPS_SCIPY_PYTHON` can name a Python that has it.
 */
const PYTHONS = [process.env.CROPS_SCIPY_PYTHON, process.env.CROPS_MLFLOW_PYTHON, 'python3'].filter((p): p is string => !!p);
const SCIPY_PYTHON = PYTHONS.find((py) => spawnSync(py, ['-c', 'import scipy.stats'], { encoding: 'utf8' }).status === 0);
export const RUN_SCIPY = SCIPY_PYTHON !== undefined || process.env.CROPS_REQUIRE_SCIPY === '1';

/** Runs `code` with `json`, `sys`, `np` and `stats` imported and the JSON `input` as `d`; returns what it prints, parsed. */
export function scipy(code: string, input: unknown): unknown {
  expect(SCIPY_PYTHON, `no Python with SciPy among ${PYTHONS.join(', ')} (pip install scipy)`).toBeDefined();
  const out = spawnSync(SCIPY_PYTHON!, ['-c', `import json,sys\nimport numpy as np\nfrom scipy import stats\nd=json.load(sys.stdin)\n${code}`], { input: JSON.stringify(input), encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout);
}
