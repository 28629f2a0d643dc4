/**
 * Secret values the process knows (API keys, MLflow credentials) and the scrubbing that keeps them
 * out of everything shown or written: stderr, error messages, run tags, caches, mined files.
 * Text is always redacted before it is cut to a length, so a key straddling the cut cannot leave
 * half of itself behind.
 */

/** MLflow's own credential variables: always treated as secret when set. */
const SECRET_ENV = ['MLFLOW_TRACKING_TOKEN', 'MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_CLIENT_CERT_PATH', 'DATABRICKS_TOKEN'];

/** Values shorter than this are not scrubbed: replacing every "a" or "42" would mangle text for nothing. */
const MIN_SECRET_LENGTH = 6;

const registered = new Set<string>();

export const REDACTED = '***';

/**
 * Adds a secret value (and the forms it travels in: the basic-auth base64 of `user:value` is
 * registered by the MLflow client itself) to the process-wide set scrubbed from all output.
 */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) registered.add(value);
}

/** Every secret value known now: registered ones and those in MLflow's credential variables. */
export function knownSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const all = new Set(registered);
  for (const name of SECRET_ENV) {
    const v = env[name];
    if (v && v.length >= MIN_SECRET_LENGTH) all.add(v);
  }
  // longest first, so a secret containing another is removed whole
  return [...all].sort((a, b) => b.length - a.length);
}

/** Credentials an echoing server may put back in a body, whatever their value. */
const CREDENTIAL_PATTERNS: RegExp[] = [
  /\b(Bearer|Basic) [A-Za-z0-9._~+/=-]{8,}/g,
  /("?(?:authorization|api[_-]?key|x-api-key|password|token)"?\s*[:=]\s*"?)(?!Bearer |Basic |\*\*\*)([^"\s,}&]{6,})/gi,
  // credentials inside a URL: scheme://user:password@host
  /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)([^@\s/]+)(@)/gi,
];

/** `text` with every known secret value and every credential-looking header value replaced by `***`. */
export function redact(text: string, extra: Array<string | undefined> = [], env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  const values = [...extra.filter((v): v is string => !!v && v.length >= MIN_SECRET_LENGTH), ...knownSecrets(env)].sort((a, b) => b.length - a.length);
  for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
  out = out.replace(CREDENTIAL_PATTERNS[0]!, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  out = out.replace(CREDENTIAL_PATTERNS[1]!, (_m, head: string) => `${head}${REDACTED}`);
  out = out.replace(CREDENTIAL_PATTERNS[2]!, (_m, head: string, _pw: string, at: string) => `${head}${REDACTED}${at}`);
  return out;
}

/** Redacts first, then cuts to `max` characters: the cut can never expose part of a secret. */
export function redactAndCut(text: string, max: number, extra: Array<string | undefined> = [], env: NodeJS.ProcessEnv = process.env): string {
  const clean = redact(text, extra, env);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * Only the known secret values replaced (no pattern matching): for content that is data, such as
 * an LLM completion, where "token: abc" may be legitimate text but the key itself never is.
 */
export function scrubSecrets(text: string, extra: Array<string | undefined> = [], env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  const values = [...extra.filter((v): v is string => !!v && v.length >= MIN_SECRET_LENGTH), ...knownSecrets(env)].sort((a, b) => b.length - a.length);
  for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
  return out;
}
