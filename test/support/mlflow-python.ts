import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in test/support). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the cached virtualenv with MLflow lives; gitignored. */
export const MLFLOW_VENV = join(REPO_ROOT, '.venv-mlflow');

export interface PythonResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and collects its output; never throws for a non-zero exit. */
export function runProcess(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<PythonResult> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout: String(stdout), stderr: String(stderr) + (error && typeof error.code !== 'number' ? `\n${error.message}` : '') });
      },
    );
  });
}

/** Output of a failed command, for assertion messages. */
export function describeFailure(what: string, r: PythonResult): string {
  return `${what} exited with ${r.code}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-8000)}`;
}

async function importsMlflow(python: string): Promise<PythonResult> {
  return runProcess(python, ['-c', 'import mlflow; print(mlflow.__version__)'], { timeoutMs: 120_000 });
}

let cached: Promise<string> | undefined;

/**
 * Path of a Python interpreter that can `import mlflow`. `CROPS_MLFLOW_PYTHON` wins when set;
 * otherwise `<repo>/.venv-mlflow` is used, created with `python3 -m venv` and `pip install mlflow`
 * the first time (this needs PyPI and takes a minute or two). `CROPS_MLFLOW_PIP_SPEC` overrides
 * the pip requirement, e.g. `mlflow==2.22.0`.
 */
export function mlflowPython(): Promise<string> {
  cached ??= locate();
  cached.catch(() => (cached = undefined));
  return cached;
}

async function locate(): Promise<string> {
  const fromEnv = process.env.CROPS_MLFLOW_PYTHON;
  if (fromEnv) {
    const r = await importsMlflow(fromEnv);
    if (r.code !== 0) throw new Error(describeFailure(`CROPS_MLFLOW_PYTHON=${fromEnv} cannot import mlflow;`, r));
    return fromEnv;
  }
  const python = process.platform === 'win32' ? join(MLFLOW_VENV, 'Scripts', 'python.exe') : join(MLFLOW_VENV, 'bin', 'python');
  if (existsSync(python) && (await importsMlflow(python)).code === 0) return python;
  if (!existsSync(python)) {
    let made: PythonResult | undefined;
    for (const base of ['python3', 'python']) {
      made = await runProcess(base, ['-m', 'venv', MLFLOW_VENV], { timeoutMs: 300_000 });
      if (made.code === 0) break;
    }
    if (!existsSync(python)) throw new Error(describeFailure(`creating ${MLFLOW_VENV} with 'python3 -m venv'`, made!));
  }
  const spec = process.env.CROPS_MLFLOW_PIP_SPEC ?? 'mlflow';
  const pip = await runProcess(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', spec], { timeoutMs: 1_200_000 });
  if (pip.code !== 0) throw new Error(describeFailure(`pip install ${spec} into ${MLFLOW_VENV}`, pip));
  const check = await importsMlflow(python);
  if (check.code !== 0) throw new Error(describeFailure(`${python} after installing ${spec}`, check));
  return python;
}
