/** A typed client for the MLflow tracking server's REST API (`/api/2.0/mlflow/...`) over fetch. */
import { randomUUID } from 'node:crypto';
import { CropsError } from '../core/errors.ts';
import { redactAndCut, registerSecret } from '../core/secrets.ts';
import { chunkBatch, decodeMetricValue, type BatchEntities } from './rest-batch.ts';
import { artifactApiPath } from './rest-artifacts.ts';
import { TAG } from './run-tags.ts';
import { checkServerId } from './server-ids.ts';

export interface RetryPolicy {
  /** attempts per request, the first included */
  attempts: number;
  /** delay before the first retry; doubles per attempt up to `maxDelayMs`, with full jitter */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The tag that makes run creation safe to retry. */
export const CLIENT_RUN_KEY = TAG.clientRunKey;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 8_000 };

export interface RestRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: string;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage?: string;
  user_id?: string;
}

export interface RestRun {
  info: RestRunInfo;
  data: {
    metrics?: Array<{ key: string; value: number; step: number; timestamp: number }>;
    params?: Array<{ key: string; value: string }>;
    tags?: Array<{ key: string; value: string }>;
  };
}

/** An answer of the server that retrying will not change (4xx other than 429). */
export class MlflowApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'MlflowApiError';
  }
}

/** The server could not be reached, or kept answering 429/5xx, through every retry. */
export class MlflowUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlflowUnavailableError';
  }
}

/** `Authorization` from MLflow's own variables: a bearer token wins over username and password. */
export function authHeader(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  if (env.MLFLOW_TRACKING_USERNAME || env.MLFLOW_TRACKING_PASSWORD) {
    return `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME ?? ''}:${env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64')}`;
  }
  return undefined;
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish, { once: true });
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      done();
    }
  });
}

export class MlflowRestClient {
  readonly baseUrl: string;
  private readonly auth: string | undefined;
  private cancel = new AbortController();

  constructor(
    trackingUri: string,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.baseUrl = trackingUri.replace(/\/+$/, '');
    this.auth = authHeader(env);
    // the header value and its parts are secrets: an error body echoing any of them is redacted
    registerSecret(env.MLFLOW_TRACKING_TOKEN);
    registerSecret(env.MLFLOW_TRACKING_PASSWORD);
    if (this.auth) registerSecret(this.auth.replace(/^(Bearer|Basic) /, ''));
  }

  /** Ends the requests and retry waits under way: they fail as unavailable, so a closing process need not wait for them. */
  cancelPending(): void {
    this.cancel.abort();
    this.cancel = new AbortController();
  }

  /** One call with retries on connection errors, 429 and 5xx; the JSON answer, `{}` when empty. */
  async call<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    opts: { json?: unknown; body?: Uint8Array | string; query?: Record<string, string>; attempts?: number } = {},
  ): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    if (this.auth) headers.authorization = this.auth;
    if (opts.json !== undefined) headers['content-type'] = 'application/json';
    const raw = opts.json !== undefined ? JSON.stringify(opts.json) : opts.body;
    const body = typeof raw === 'string' || raw === undefined ? raw : new Blob([raw as Uint8Array<ArrayBuffer>]);
    const cancel = this.cancel.signal;
    const attempts = opts.attempts ?? this.retry.attempts;
    let last = '';
    for (let attempt = 0; attempt < attempts && !cancel.aborted; attempt++) {
      if (attempt > 0) await pause(Math.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1)), cancel);
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body, signal: AbortSignal.any([cancel, AbortSignal.timeout(60_000)]) });
      } catch (e) {
        last = redactAndCut(`${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`, 500);
        continue;
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return (text.trim() ? JSON.parse(text) : {}) as T;
      if (res.status === 429 || res.status >= 500) {
        last = `HTTP ${res.status} ${redactAndCut(text, 200)}`;
        continue;
      }
      let code = `HTTP_${res.status}`;
      let message = text;
      try {
        const parsed = JSON.parse(text) as { error_code?: string; message?: string };
        code = parsed.error_code ?? code;
        message = parsed.message ?? message;
      } catch {
        // not every proxy in front of MLflow answers JSON
      }
      // a 401 or a proxy page may echo the Authorization header: redact, then cut
      message = redactAndCut(message, 1000);
      code = redactAndCut(code, 100);
      throw new MlflowApiError(res.status, code, `MLflow ${method} ${url.pathname} failed with ${res.status} ${code}: ${message}`);
    }
    throw new MlflowUnavailableError(`MLflow server ${this.baseUrl} did not answer ${method} ${url.pathname} ${cancel.aborted ? '(cancelled)' : `after ${attempts} attempts`}: ${last}`);
  }

  async getExperimentId(name: string): Promise<string | undefined> {
    try {
      const r = await this.call<{ experiment: { experiment_id: string; lifecycle_stage?: string } }>('GET', '/api/2.0/mlflow/experiments/get-by-name', { query: { experiment_name: name } });
      if (r.experiment.lifecycle_stage === 'deleted') {
        throw new CropsError(`MLflow experiment ${JSON.stringify(name)} is deleted on ${this.baseUrl}; restore it or use another name`);
      }
      return checkServerId('experiment_id', r.experiment.experiment_id, this.baseUrl);
    } catch (e) {
      if (e instanceof MlflowApiError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw e;
    }
  }

  /** Looks the experiment up and creates it when missing; a concurrent creator's experiment is reused. */
  async getOrCreateExperiment(name: string): Promise<string> {
    const known = await this.getExperimentId(name);
    if (known) return known;
    try {
      return checkServerId('experiment_id', (await this.call<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { json: { name } })).experiment_id, this.baseUrl);
    } catch (e) {
      if (!(e instanceof MlflowApiError && e.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw e;
      const raced = await this.getExperimentId(name);
      if (!raced) throw e;
      return raced;
    }
  }

  /**
   * Creates a run tagged `crops.clientRunKey` with a fresh key. runs/create is not idempotent, so
   * before each retry the key is searched for: a run whose creation was answered by an error
   * (or by nothing) is reused instead of created twice.
   */
  async createRun(opts: { experimentId: string; runName: string; startTime: number; userId: string; tags: Record<string, string>; key?: string }): Promise<RestRunInfo> {
    const key = opts.key ?? randomUUID();
    const tags = Object.entries({ ...opts.tags, [CLIENT_RUN_KEY]: key }).map(([k, value]) => ({ key: k, value }));
    const json = { experiment_id: opts.experimentId, run_name: opts.runName, start_time: opts.startTime, user_id: opts.userId, tags };
    let failure: unknown;
    for (let attempt = 0; attempt < this.retry.attempts; attempt++) {
      try {
        if (attempt > 0 || opts.key) {
          if (attempt > 0) await pause(Math.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1)), this.cancel.signal);
          const [earlier] = await this.searchRuns([opts.experimentId], `tags.\`${CLIENT_RUN_KEY}\` = '${key}'`, [], 1);
          if (earlier) return this.checkedInfo(earlier.info);
        }
        return this.checkedInfo((await this.call<{ run: RestRun }>('POST', '/api/2.0/mlflow/runs/create', { json, attempts: 1 })).run.info);
      } catch (e) {
        if (!(e instanceof MlflowUnavailableError)) throw e;
        failure = e;
      }
    }
    throw failure;
  }

  /** The run info with its ids checked: they become file names in the spool and parts of URLs. */
  private checkedInfo(info: RestRunInfo): RestRunInfo {
    checkServerId('run_id', info?.run_id, this.baseUrl);
    checkServerId('experiment_id', info?.experiment_id, this.baseUrl);
    return info;
  }

  /** Sends metrics, params and tags in as many log-batch requests as MLflow's limits need. */
  async logBatch(runId: string, entities: BatchEntities): Promise<void> {
    for (const chunk of chunkBatch(entities)) await this.call('POST', '/api/2.0/mlflow/runs/log-batch', { json: { run_id: runId, ...chunk } });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', '/api/2.0/mlflow/runs/set-tag', { json: { run_id: runId, key, value } });
  }

  async updateRun(runId: string, status: string, endTime: number): Promise<void> {
    await this.call('POST', '/api/2.0/mlflow/runs/update', { json: { run_id: runId, status, end_time: endTime } });
  }

  async getRun(runId: string): Promise<RestRun> {
    return (await this.call<{ run: RestRun }>('GET', '/api/2.0/mlflow/runs/get', { query: { run_id: runId } })).run;
  }

  /** Every run matching `filter` (MLflow search syntax), following page tokens. */
  async searchRuns(experimentIds: string[], filter = '', orderBy: string[] = [], limit = Infinity): Promise<RestRun[]> {
    const runs: RestRun[] = [];
    let pageToken: string | undefined;
    do {
      const json = { experiment_ids: experimentIds, filter, order_by: orderBy, max_results: Math.min(1000, limit - runs.length), ...(pageToken ? { page_token: pageToken } : {}) };
      const page = await this.call<{ runs?: RestRun[]; next_page_token?: string }>('POST', '/api/2.0/mlflow/runs/search', { json });
      runs.push(...(page.runs ?? []));
      pageToken = page.next_page_token;
    } while (pageToken && runs.length < limit);
    return runs;
  }

  /** Every point of one metric, following page tokens; NaN and infinities decoded. */
  async metricHistory(runId: string, key: string): Promise<Array<{ key: string; value: number; step: number; timestamp: number }>> {
    const points: Array<{ key: string; value: number; step: number; timestamp: number }> = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string> = { run_id: runId, metric_key: key, max_results: '25000', ...(pageToken ? { page_token: pageToken } : {}) };
      const page = await this.call<{ metrics?: Array<{ key: string; value: number | string; step?: number; timestamp?: number }>; next_page_token?: string }>(
        'GET',
        '/api/2.0/mlflow/metrics/get-history',
        { query },
      );
      for (const m of page.metrics ?? []) points.push({ key: m.key, value: decodeMetricValue(m.value), step: Number(m.step ?? 0), timestamp: Number(m.timestamp ?? 0) });
      pageToken = page.next_page_token;
    } while (pageToken);
    return points;
  }

  /** Uploads one file below a run's artifact URI through the server's artifact proxy. */
  async uploadArtifact(artifactUri: string, path: string, content: string | Uint8Array): Promise<void> {
    await this.call('PUT', artifactApiPath(artifactUri, path), { body: content });
  }

  /** Downloads one artifact file as bytes. */
  async downloadArtifact(artifactUri: string, path: string): Promise<Uint8Array> {
    const headers: Record<string, string> = this.auth ? { authorization: this.auth } : {};
    const res = await fetch(`${this.baseUrl}${artifactApiPath(artifactUri, path)}`, { headers });
    if (!res.ok) throw new MlflowApiError(res.status, `HTTP_${res.status}`, `downloading artifact ${path}: HTTP ${res.status} ${redactAndCut(await res.text(), 1000)}`);
    return new Uint8Array(await res.arrayBuffer());
  }
}
