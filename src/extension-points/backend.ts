export const Backend = Symbol.for('crops.Backend');

/**
 * Activates a TensorFlow.js backend. `probe` says whether it can load here and why not, without
 * side effects where possible; `activate` registers it and makes it current.
 */
export interface Backend {
  probe(): Promise<{ available: boolean; reason?: string }>;
  activate(): Promise<string>;
}
