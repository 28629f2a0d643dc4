import { fsLr } from './fs-lr-loss.ts';
import { hInfoNce } from './h-info-nce-loss.ts';
import { infoNceExpanded } from './info-nce-expanded-loss.ts';
import { infoNce } from './info-nce-loss.ts';
import { nce } from './nce-loss.ts';
import { softmaxCe } from './softmax-ce-loss.ts';

export { fsLr, type FsLrOptions } from './fs-lr-loss.ts';
export { hInfoNce, type HInfoNceOptions } from './h-info-nce-loss.ts';
export { infoNceExpanded } from './info-nce-expanded-loss.ts';
export { infoNce, type InfoNceOptions } from './info-nce-loss.ts';
export { nce, type NceOptions } from './nce-loss.ts';
export { softmaxCe, targetWeight, type SoftmaxCeOptions, type TargetWeighting } from './softmax-ce-loss.ts';
export { LearnableTemperature, temperatureParams, type TemperatureParams } from '../../kits/loss/temperature.ts';

/** The loss functions by name, for code that picks one at run time. */
export const losses = { infoNce, hInfoNce, infoNceExpanded, softmaxCe, fsLr, nce };
