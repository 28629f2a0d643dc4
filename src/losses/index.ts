import { hInfoNce } from './h-info-nce.ts';
import { infoNce } from './info-nce.ts';

export { hInfoNce, type HInfoNceOptions } from './h-info-nce.ts';
export { infoNce, type InfoNceOptions } from './info-nce.ts';
export { LearnableTemperature, temperatureParams, type TemperatureParams } from './temperature.ts';

/** The loss functions by name, for code that picks one at run time. */
export const losses = { infoNce, hInfoNce };
