import type { NestedTrainer } from '../core/services.ts';
import { TrainSettings } from '../config/trial-config.ts';
import { train } from './trainer.ts';

/** The {@link NestedTrainer} service: the trial's training loop with the settings' defaults for what the job leaves out. */
export const trainNested: NestedTrainer = async ({ encoder, loss, sampler, items, steps, batchQueries, lr, positiveGrade }) => {
  const settings = TrainSettings.parse({ steps, batchQueries, lr, logEvery: Math.max(1, steps) });
  const result = await train({ encoder, loss, sampler, items, settings, lossContext: { positiveGrade } });
  return { finalLoss: result.finalLoss, msPerStep: result.msPerStep };
};
