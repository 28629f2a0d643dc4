import { fsLr } from './fs-lr.ts';
import { hInfoNce } from './h-info-nce.ts';
import { infoNceExpanded } from './info-nce-expanded.ts';
import { infoNce } from './info-nce.ts';
import { nce } from './nce.ts';
import { softmaxCe } from './softmax-ce.ts';

export { fsLr, type FsLrOptions } from './fs-lr.ts';
export { hInfoNce, type HInfoNceOptions } from './h-info-nce.ts';
export { infoNceExpanded } from './info-nce-expanded.ts';
export { infoNce, type InfoNceOptions } from './info-nce.ts';
export { nce, type NceOptions } from './nce.ts';
export { softmaxCe, targetWeight, type SoftmaxCeOptions, type TargetWeighting } from './softmax-ce.ts';
export { LearnableTemperature, temperatureParams, type TemperatureParams } from './temperature.ts';

/** The loss functions by name, for code that picks one at run time. */
export const losses = { infoNce, hInfoNce, infoNceExpanded, softmaxCe, fsLr, nce };
