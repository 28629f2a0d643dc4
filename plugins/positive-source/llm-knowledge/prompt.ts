import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundled one-shot prompt (Role, Format, Rules, Example, Query), used when `promptFile` is unset. */
export const DEFAULT_PROMPT_FILE = fileURLToPath(new URL('./prompt.md', import.meta.url));
/** The same for pseudo-documents of a text collection (a title and a passage). */
export const DOCUMENT_PROMPT_FILE = fileURLToPath(new URL('./prompt-document.md', import.meta.url));

const PLACEHOLDERS = ['query', 'exemplar', 'n'] as const;
export type PromptValues = Record<(typeof PLACEHOLDERS)[number], string>;

/**
 * Reads a prompt template and checks its placeholders, so a typo in a replaced template fails
 * before any request is sent: `{{query}}` is required, `{{exemplar}}` and `{{n}}` are optional,
 * anything else in double braces is an error.
 */
export function loadPromptTemplate(file: string = DEFAULT_PROMPT_FILE): string {
  const path = resolve(file);
  let template: string;
  try {
    template = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read prompt template ${path}: ${(e as Error).message}`, { cause: e });
  }
  const unknown = [...template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]!).filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`prompt template ${path} has unknown placeholders ${unknown.map((p) => `{{${p}}}`).join(', ')} (allowed: {{query}}, {{exemplar}}, {{n}})`);
  if (!/\{\{\s*query\s*\}\}/.test(template)) throw new Error(`prompt template ${path} never uses {{query}}`);
  return template;
}

/** Fills the placeholders in one pass, so a query containing `{{n}}` is left as the user typed it. */
export function renderPrompt(template: string, values: PromptValues): string {
  return template.replace(/\{\{\s*(query|exemplar|n)\s*\}\}/g, (_, name: keyof PromptValues) => values[name]);
}
