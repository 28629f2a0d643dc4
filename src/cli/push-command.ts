import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CropsError } from '../core/errors.ts';
import { pushFileStore, pushSpool } from '../tracking/push.ts';
import { MlflowRestClient } from '../tracking/rest-client.ts';
import { resolveTrackingUri } from '../tracking/tracking-uri.ts';
import type { Io } from './io.ts';

export interface PushArgs {
  /** server URL; defaults to $MLFLOW_TRACKING_URI */
  to?: string;
  /** a file store to copy (a directory or file: URI) */
  from?: string;
  /** the spool of a tracker that could not reach the server */
  spool: string;
}

/**
 * `crops push`: sends what the spool still holds for the server, then copies the runs of a file
 * store when `--from` is given. Both are idempotent, so running it twice adds nothing.
 */
export async function pushCommand(args: PushArgs, io: Io): Promise<number> {
  const to = args.to ?? process.env.MLFLOW_TRACKING_URI;
  if (!to) throw new CropsError('crops push needs a server: --to http://host:port (or set MLFLOW_TRACKING_URI)');
  const target = resolveTrackingUri(to);
  if (target.kind !== 'http') throw new CropsError(`crops push --to takes an http(s):// MLflow server (got ${JSON.stringify(to)})`);
  const client = new MlflowRestClient(target.url);
  const line = (s: string) => io.out(`${s}\n`);

  const spool = await pushSpool(resolve(args.spool), client, line);
  if (spool.runs > 0) line(`spool: sent ${spool.writes} write(s) of ${spool.runs} run(s) to ${client.baseUrl}`);
  else if (args.from === undefined) line(`spool: nothing waits for ${client.baseUrl} in ${resolve(args.spool)}`);
  if (spool.otherServers > 0) line(`spool: ${spool.otherServers} run(s) belong to other servers and were left in ${resolve(args.spool)}`);

  if (args.from !== undefined) {
    const source = resolveTrackingUri(args.from);
    if (source.kind !== 'file') throw new CropsError(`crops push --from takes a file store directory (got ${JSON.stringify(args.from)})`);
    if (!existsSync(source.root)) throw new CropsError(`crops push --from: the file store ${source.root} does not exist; give the folder \`crops run\` wrote (by default ./mlruns)`);
    const r = await pushFileStore(source.root, client, line);
    line(
      `${source.root} -> ${client.baseUrl}: ${r.created} run(s) copied, ${r.completed} completed, ${r.unchanged} already there; ` +
        `${r.metricPoints} metric point(s), ${r.artifacts} artifact file(s) sent`,
    );
  }
  return 0;
}
