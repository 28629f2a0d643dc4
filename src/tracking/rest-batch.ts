/** Shapes and splitting of MLflow's `runs/log-batch` request. */

export interface RestMetric {
  key: string;
  /** JSON has no NaN or infinity; MLflow's protobuf JSON reads them as these strings */
  value: number | 'NaN' | 'Infinity' | '-Infinity';
  timestamp: number;
  step: number;
}

export interface BatchEntities {
  metrics?: RestMetric[];
  params?: Array<{ key: string; value: string }>;
  tags?: Array<{ key: string; value: string }>;
}

/** MLflow's log-batch limits (mlflow/utils/validation.py); bytes keep a margin below the 1 MB cap. */
export const BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, entities: 1000, bytes: 900_000 } as const;

export function encodeMetricValue(v: number): RestMetric['value'] {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

export function decodeMetricValue(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

/**
 * Splits entities into requests within MLflow's per-request limits, keeping each kind in its
 * original order (metric points of one key arrive in step order). Params go first, so a chunk
 * that fails on a param value fails before any metric of it was stored.
 */
export function chunkBatch(entities: BatchEntities): BatchEntities[] {
  const items: Array<['params' | 'tags' | 'metrics', unknown]> = [
    ...(entities.params ?? []).map((p) => ['params', p] as ['params', unknown]),
    ...(entities.tags ?? []).map((t) => ['tags', t] as ['tags', unknown]),
    ...(entities.metrics ?? []).map((m) => ['metrics', m] as ['metrics', unknown]),
  ];
  const chunks: BatchEntities[] = [];
  let current: Record<string, unknown[]> = {};
  let count = 0;
  let bytes = 0;
  for (const [kind, item] of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    const full = count >= BATCH_LIMITS.entities || (current[kind]?.length ?? 0) >= BATCH_LIMITS[kind] || bytes + size > BATCH_LIMITS.bytes;
    if (full && count > 0) {
      chunks.push(current as BatchEntities);
      current = {};
      count = 0;
      bytes = 0;
    }
    (current[kind] ??= []).push(item);
    count++;
    bytes += size;
  }
  if (count > 0) chunks.push(current as BatchEntities);
  return chunks;
}
