import type { TrainSettings } from '../config/trial-config.ts';

/**
 * Learning rate of 0-based `step`: linear warm-up over `warmupSteps` (reaching `lr` at the end of
 * warm-up), then constant, linear decay to 0, or cosine decay to 0 over the remaining steps.
 */
export function learningRate(step: number, settings: Pick<TrainSettings, 'lr' | 'steps' | 'warmupSteps' | 'schedule'>): number {
  const { lr, steps, warmupSteps, schedule } = settings;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const decaySteps = Math.max(1, steps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  switch (schedule) {
    case 'constant':
      return lr;
    case 'linear':
      return lr * (1 - progress);
    case 'cosine':
      return lr * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
