import { spawnSync } from 'node:child_process';

/**
 * The Python that has pytrec_eval (trec_eval's own C code), the reference the measures are checked
 * against: `CROPS_PYTREC_PYTHON`, else the MLflow venv `.ci/run` builds (it installs pytrec_eval
 * there), else `python3`. CI sets CROPS_REQUIRE_PYTREC=1 so a missing module fails instead of skipping.
 */
const candidates = [process.env.CROPS_PYTREC_PYTHON, process.env.CROPS_MLFLOW_PYTHON, 'python3'].filter((p): p is string => !!p);

export const PYTREC_PYTHON = candidates.find((py) => spawnSync(py, ['-c', 'import pytrec_eval'], { encoding: 'utf8' }).status === 0);
export const PYTREC_REQUIRED = process.env.CROPS_REQUIRE_PYTREC === '1';
/** Run the pytrec_eval comparisons here: when the module is found, or when CI says it must be. */
export const RUN_PYTREC = PYTREC_PYTHON !== undefined || PYTREC_REQUIRED;
export const PYTREC_MISSING = `no Python with pytrec_eval among ${candidates.join(', ')} (pip install pytrec_eval-terrier)`;
