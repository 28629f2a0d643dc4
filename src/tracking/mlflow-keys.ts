/** Flattens a resolved config to dotted string params, as MLflow stores them. */
export function flattenParams(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(value)) {
    // lists of scalars read better as one value; lists of plugin nodes expand by index
    if (value.every((v) => v === null || typeof v !== 'object')) out[prefix] = JSON.stringify(value);
    else value.forEach((v, i) => flattenParams(v, prefix ? `${prefix}.${i}` : String(i), out));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0 && prefix) out[prefix] = '{}';
    for (const [k, v] of entries) flattenParams(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = String(value);
  }
  return out;
}

/** MLflow metric keys allow letters, digits, `_ - . / space :`; `recall@100/ct` -> `recall_at_100/ct`. */
export function metricKey(label: string): string {
  return label.replace(/@/g, '_at_').replace(/[^\w\-./ :]/g, '_');
}
