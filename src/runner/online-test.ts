import type { OnlineSettings } from '../config/trial-config.ts';
import { LEGACY_CONTROL } from '../config/trial-config.ts';
import { TrialFailure } from '../core/errors.ts';
import type { Dataset } from '../extension-points/dataset.ts';
import type { Retriever } from '../extension-points/retriever.ts';
import { armRates, compareArms, formatOnlineUsers, ONLINE_LEGACY_ARTIFACT, ONLINE_METRICS, ONLINE_USERS_ARTIFACT, SHARE_METRICS } from '../eval/online-ab.ts';

export interface OnlineTestResult {
  /** MLflow metric key -> value */
  metrics: Record<string, number>;
  /** artifact path -> content: the per-user outcomes of each simulated arm */
  artifacts: Array<[string, string]>;
}

/**
 * The trial's arm of the simulated online A/B test: its built retriever as the extra recall channel
 * of the dataset's search system on a fresh day. With control `none` the legacy-only arm is
 * simulated here too and compared at once; a control row is compared by `crops report`, which pairs
 * the arms' per-user artifacts.
 */
export async function runOnlineTest(dataset: Dataset, retriever: Retriever, settings: OnlineSettings, queryBatch: number): Promise<OnlineTestResult> {
  if (!dataset.simulateOnlineDay) throw new TrialFailure('eval.online: the dataset lists online-simulation but has no simulateOnlineDay method');
  const day = { seed: settings.seed, sessions: settings.sessions, channelK: settings.channelK };
  const channel = async (queries: string[], k: number) => {
    const lists: Int32Array[] = [];
    for (let start = 0; start < queries.length; start += queryBatch) {
      for (const r of await retriever.search(queries.slice(start, start + queryBatch), k)) lists.push(r.itemIds);
    }
    return lists;
  };
  const treatment = await dataset.simulateOnlineDay({ ...day, channel });
  const metrics: Record<string, number> = {};
  const rates = armRates(treatment);
  for (const m of ONLINE_METRICS) metrics[`online/${m}`] = rates[m];
  metrics['online/users'] = treatment.length;
  metrics['online/requests'] = treatment.reduce((s, u) => s + u.sessions, 0);
  const artifacts: Array<[string, string]> = [[ONLINE_USERS_ARTIFACT, formatOnlineUsers(treatment)]];
  if (settings.control === LEGACY_CONTROL) {
    const legacy = await dataset.simulateOnlineDay(day);
    artifacts.push([ONLINE_LEGACY_ARTIFACT, formatOnlineUsers(legacy)]);
    const cmp = compareArms(treatment, legacy, { resamples: settings.resamples, seed: settings.seed });
    for (const m of ONLINE_METRICS) {
      const c = cmp.metrics[m];
      metrics[`online/legacy/${m}`] = c.control.value;
      // shares are compared in points (the legacy arm has none); behaviour rates relative to control
      const diff = SHARE_METRICS.includes(m) ? c.absolute : c.relative;
      const key = `online/vs_legacy/${SHARE_METRICS.includes(m) ? 'abs' : 'rel'}_${m}`;
      metrics[key] = diff.value;
      metrics[`${key}_ci_low`] = diff.ci[0];
      metrics[`${key}_ci_high`] = diff.ci[1];
    }
  }
  return { metrics: Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))), artifacts };
}
