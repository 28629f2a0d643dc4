import { CropsError } from '../core/errors.ts';

/** Checks a relative, `/`-separated artifact path without `.` or `..` segments. */
export function assertArtifactPath(path: string): void {
  const segments = path.split('/');
  if (path.length === 0 || path.includes('\0') || path.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new CropsError(`invalid artifact path ${JSON.stringify(path)}: use a relative path of / separated names without . or .. segments`);
  }
}

/** Whether crops can upload below this artifact URI (only through the server's artifact proxy). */
export function artifactSchemeProblem(artifactUri: string): string | undefined {
  if (/^mlflow-artifacts:/i.test(artifactUri)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(artifactUri)?.[1] ?? 'a local path';
  return (
    `the run's artifact location ${JSON.stringify(artifactUri)} (${scheme}) is written by the MLflow client directly, which crops cannot do; ` +
    'start the server with --serve-artifacts (artifact URIs mlflow-artifacts:/...) or use a file store'
  );
}

/**
 * The server path that stores `path` below a run's `mlflow-artifacts:` URI:
 * `mlflow-artifacts:/1/abc/artifacts` + `trec/ct.run` -> `/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/trec/ct.run`.
 * A host in the URI (`mlflow-artifacts://host/...`) is ignored: the tracking server proxies it.
 */
export function artifactApiPath(artifactUri: string, path: string): string {
  const problem = artifactSchemeProblem(artifactUri);
  if (problem) throw new CropsError(problem);
  assertArtifactPath(path);
  const rest = artifactUri.replace(/^mlflow-artifacts:(\/\/[^/]*)?/i, '');
  const segments = [...rest.split('/'), ...path.split('/')].filter((s) => s !== '');
  return `/api/2.0/mlflow-artifacts/artifacts/${segments.map(encodeURIComponent).join('/')}`;
}
