import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDiskFull, writeError } from '../core/atomic-write.ts';
import { CropsError } from '../core/errors.ts';
import type { MetricPoint, RunRef, RunStatus } from '../extension-points/tracker.ts';
import { withFileLock } from './file-lock.ts';
import { MLFLOW_LIMITS, assertMetricPoint, assertParams, assertTags } from './mlflow-limits.ts';
import { formatMetricValue, toYaml, readYaml, appendWhole, atomicWrite, writeTemp, subdirs, exists, mkdirFor, fsError, errno } from './file-store-io.ts';
import { MlflowFileStoreReader, RUN_STATUS_CODES, TRASH, type ExperimentInfo } from './file-store-reader.ts';
import { TAG } from './run-tags.ts';

export { formatMetricValue };
export { MlflowFileStoreReader, RUN_STATUS_CODES, type ExperimentInfo, type LatestMetric, type StoredRun, type StoredRunStatus } from './file-store-reader.ts';

/** MLflow's `SourceType.LOCAL`. */
const SOURCE_TYPE_LOCAL = 4;
const DEFAULT_EXPERIMENT_ID = '0';
const LOCK_FILE = '.crops-experiments.lock';

export interface CreateRunOptions {
  experimentId: string;
  runName: string;
  userId: string;
  startTime?: number;
  tags?: Record<string, string>;
  params?: Record<string, string>;
}

/**
 * Writes MLflow's file-store layout, and reads it through {@link MlflowFileStoreReader}: what
 * `mlflow.store.tracking.file_store.FileStore` of MLflow 2.x/3.x reads, and what
 * `mlflow migrate-filestore` converts to SQLite:
 *
 * ```
 * <root>/<experiment_id>/meta.yaml
 * <root>/<experiment_id>/<run_id>/meta.yaml
 * <root>/<experiment_id>/<run_id>/{params,tags}/<key>      value, no trailing newline
 * <root>/<experiment_id>/<run_id>/metrics/<key>            lines `timestamp value step`
 * <root>/<experiment_id>/<run_id>/artifacts/<path>
 * ```
 *
 * meta.yaml, params and tags are written to a temporary file and renamed into place, so a crash
 * never leaves a half-written file that MLflow would fail to parse. Temporary files live in the
 * run or experiment directory itself (MLflow only reads its sub-folders there). Experiment
 * creation is safe across processes: a lock file serialises the name check, and ids are claimed
 * with an exclusive `mkdir`.
 */
export class MlflowFileStore extends MlflowFileStoreReader {
  private ready?: Promise<void>;

  /** Creates the root, the `Default` experiment (id 0) and `.trash`, as MLflow does on first use. */
  ensure(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(join(this.root, TRASH), { recursive: true }).catch((e: unknown) => {
        throw storeDirError(this.root, e);
      });
      if (!(await exists(join(this.root, DEFAULT_EXPERIMENT_ID))) && !(await exists(join(this.root, TRASH, DEFAULT_EXPERIMENT_ID)))) {
        await mkdir(join(this.root, DEFAULT_EXPERIMENT_ID), { recursive: true });
        await this.writeExperimentMeta(DEFAULT_EXPERIMENT_ID, 'Default');
      }
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /** The id of the active experiment called `name`, created (id = largest integer id + 1) when missing. */
  async getOrCreateExperiment(name: string): Promise<string> {
    if (typeof name !== 'string' || name.length === 0 || name.length > MLFLOW_LIMITS.experimentNameLength) {
      throw new CropsError(`MLflow experiment name must be 1 to ${MLFLOW_LIMITS.experimentNameLength} characters (got ${JSON.stringify(name)})`);
    }
    await this.ensure();
    const known = await this.findExperiment(name);
    if (known) return this.usable(known);
    return this.withLock(async () => {
      // another process may have created it while this one waited for the lock
      const again = await this.findExperiment(name);
      if (again) return this.usable(again);
      let id = (await this.largestExperimentId()) + 1n;
      for (;;) {
        try {
          await mkdir(join(this.root, id.toString()));
          break;
        } catch (e) {
          if (errno(e) !== 'EEXIST') throw e;
          id += 1n;
        }
      }
      await this.writeExperimentMeta(id.toString(), name);
      return id.toString();
    });
  }

  /** Creates a RUNNING run with a fresh 32-hex-digit id, then writes its tags and params. */
  async createRun(opts: CreateRunOptions): Promise<RunRef> {
    await this.ensure();
    const expDir = this.experimentDir(opts.experimentId);
    const expMeta = await readYaml(join(expDir, 'meta.yaml'));
    if (!expMeta) throw new CropsError(`MLflow experiment ${opts.experimentId} does not exist in ${this.root}`);
    if (expMeta.lifecycle_stage === 'deleted') throw new CropsError(`MLflow experiment ${opts.experimentId} is deleted; restore it or pick another name`);
    assertTags(opts.tags ?? {});
    assertParams(opts.params ?? {});
    const runId = randomUUID().replace(/-/g, '');
    const run: RunRef = { experimentId: opts.experimentId, runId };
    const dir = join(expDir, runId);
    await mkdir(dir);
    try {
      await Promise.all(['metrics', 'params', 'artifacts', 'tags'].map((d) => mkdir(join(dir, d))));
      const metaFile = join(dir, 'meta.yaml');
      await atomicWrite(
        metaFile,
        toYaml({
          artifact_uri: pathToFileURL(join(dir, 'artifacts')).href,
          end_time: null,
          entry_point_name: '',
          experiment_id: opts.experimentId,
          lifecycle_stage: 'active',
          run_id: runId,
          run_name: opts.runName,
          run_uuid: runId,
          source_name: '',
          source_type: SOURCE_TYPE_LOCAL,
          source_version: '',
          start_time: opts.startTime ?? Date.now(),
          status: RUN_STATUS_CODES.RUNNING,
          tags: [],
          user_id: opts.userId,
        }),
        dir,
        true,
      ).catch((e: unknown) => {
        throw isDiskFull(e) ? writeError(`MLflow run ${runId} (meta.yaml) to`, metaFile, e) : e;
      });
      await this.setTags(run, { [TAG.runName]: opts.runName, ...opts.tags });
      await this.logParams(run, opts.params ?? {});
    } catch (e) {
      // a run that could not be created whole (a full disk) is not left behind half-made, RUNNING
      // with no owner to close it, and its files give their space back
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    return run;
  }

  /** Writes params once; logging the same value again is accepted, a different value is an error. */
  async logParams(run: RunRef, params: Record<string, string>): Promise<void> {
    const dir = this.runDir(run);
    assertParams(params);
    for (const [key, value] of Object.entries(params)) {
      const target = join(dir, 'params', key);
      await mkdirFor(run, 'param', key, target);
      const tmp = await writeTemp(dir, value).catch((e: unknown) => {
        throw fsError(run, 'param', key, e, target);
      });
      try {
        // link() refuses to replace an existing file, which makes the write-once check atomic
        await link(tmp, target).catch((e: unknown) => {
          // file systems without hard links: an exclusive copy keeps write-once, if not all-or-nothing
          if (errno(e) === 'EPERM' || errno(e) === 'ENOTSUP' || errno(e) === 'EXDEV') return copyFile(tmp, target, constants.COPYFILE_EXCL);
          throw e;
        });
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw fsError(run, 'param', key, e);
        const old = await readFile(target, 'utf8').catch(() => undefined);
        if (old === undefined) throw fsError(run, 'param', key, e);
        if (old !== value) {
          throw new CropsError(
            `MLflow param ${JSON.stringify(key)} of run ${run.runId} is already ${JSON.stringify(old)}; it cannot change to ${JSON.stringify(value)} (params are write-once, use a tag or metric for values that change)`,
          );
        }
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    }
  }

  /** Sets tags, replacing earlier values. */
  async setTags(run: RunRef, tags: Record<string, string>): Promise<void> {
    const dir = this.runDir(run);
    assertTags(tags);
    for (const [key, value] of Object.entries(tags)) {
      const target = join(dir, 'tags', key);
      await mkdirFor(run, 'tag', key, target);
      await atomicWrite(target, value, dir).catch((e) => {
        throw fsError(run, 'tag', key, e, target);
      });
    }
  }

  /** Appends metric points, one `timestamp value step` line each, in the order given. */
  async appendMetrics(run: RunRef, points: MetricPoint[]): Promise<void> {
    const dir = this.runDir(run);
    const byKey = new Map<string, string[]>();
    for (const p of points) {
      assertMetricPoint(p);
      const line = `${p.timestamp ?? Date.now()} ${formatMetricValue(p.value)} ${p.step}\n`;
      const lines = byKey.get(p.key);
      if (lines) lines.push(line);
      else byKey.set(p.key, [line]);
    }
    for (const [key, lines] of byKey) {
      const target = join(dir, 'metrics', key);
      await mkdirFor(run, 'metric', key, target);
      // one write per key keeps each batch contiguous even if another writer appends too; a write
      // that fails part-way (a full disk) is cut back off, so the file never ends in a torn line
      await appendWhole(target, lines.join(''), `MLflow metric ${JSON.stringify(key)} of run ${run.runId} to`).catch((e) => {
        throw fsError(run, 'metric', key, e);
      });
    }
  }

  /** Writes `artifacts/<path>` (relative, `/`-separated, no `..`). */
  async writeArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    const segments = path.split('/');
    if (path.length === 0 || path.includes('\0') || path.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) {
      throw new CropsError(`invalid artifact path ${JSON.stringify(path)}: use a relative path of / separated names without . or .. segments`);
    }
    const dir = this.runDir(run);
    const target = join(dir, 'artifacts', ...segments);
    await mkdirFor(run, 'artifact', path, target);
    await atomicWrite(target, content, dir).catch((e: unknown) => {
      throw fsError(run, 'artifact', path, e, target);
    });
  }

  /** Marks the run FINISHED, FAILED or KILLED and stamps its end time. */
  async endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime = Date.now()): Promise<void> {
    const dir = this.runDir(run);
    const meta = await readYaml(join(dir, 'meta.yaml'));
    if (!meta) throw new CropsError(`MLflow run ${run.runId} not found in ${this.root}`);
    const metaFile = join(dir, 'meta.yaml');
    await atomicWrite(metaFile, toYaml({ ...meta, status: RUN_STATUS_CODES[status], end_time: endTime }), dir, true).catch((e: unknown) => {
      throw isDiskFull(e) ? writeError(`the ${status} status of MLflow run ${run.runId} to`, metaFile, e) : e;
    });
  }

  private usable(exp: ExperimentInfo): string {
    if (exp.lifecycleStage === 'deleted') {
      throw new CropsError(
        `MLflow experiment ${JSON.stringify(exp.name)} (id ${exp.experimentId}) is deleted in ${this.root}; restore it, remove it from ${join(this.root, TRASH)}, or use another name`,
      );
    }
    return exp.experimentId;
  }

  private async largestExperimentId(): Promise<bigint> {
    let max = 0n;
    for (const parent of [this.root, join(this.root, TRASH)]) {
      for (const name of await subdirs(parent)) if (/^\d+$/.test(name) && BigInt(name) > max) max = BigInt(name);
    }
    return max;
  }

  private async writeExperimentMeta(id: string, name: string): Promise<void> {
    const dir = join(this.root, id);
    const now = Date.now();
    const meta = { artifact_location: pathToFileURL(dir).href, creation_time: now, experiment_id: id, last_update_time: now, lifecycle_stage: 'active', name };
    await atomicWrite(join(dir, 'meta.yaml'), toYaml(meta), dir, true);
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(join(this.root, LOCK_FILE), fn);
  }
}

/**
 * The error for a store folder that cannot be created or written (read-only file system, no
 * permission, a file in the way, a full disk): which folder, why, and what to do.
 */
export function storeDirError(root: string, e: unknown): unknown {
  const code = errno(e);
  const why: Record<string, string> = {
    EROFS: 'it is on a read-only file system',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOTDIR: 'a file is in the way of one of its parent folders',
    EEXIST: 'a file of that name is in the way',
    ENOSPC: 'the disk is full',
    // mkdir -p on a read-only mount reports the missing folder rather than the mount
    ENOENT: 'its parent folder does not exist and cannot be created',
  };
  if (!code || !(code in why)) return e;
  if (code === 'ENOENT') {
    // find the folder that exists and say why it cannot take the new one
    let dir = root;
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    try {
      accessSync(dir, constants.W_OK);
    } catch (denied) {
      const c = errno(denied);
      if (c && c in why) return new CropsError(`cannot create the MLflow file store ${root}: ${dir} is not writable, ${why[c]} (${c}). Set tracker.params.trackingUri (or MLFLOW_TRACKING_URI) to a writable folder.`);
    }
  }
  return new CropsError(
    `cannot write the MLflow file store ${root}: ${why[code]} (${code}). Set tracker.params.trackingUri (or MLFLOW_TRACKING_URI) to a writable folder, or make this one writable.`,
  );
}
