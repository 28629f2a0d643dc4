import type { z } from 'zod';
import { didYouMean } from '../core/did-you-mean.ts';
import type { Diagnostic } from '../core/errors.ts';
import type { Path, SourceMap } from './source-map.ts';
import { describe } from './extends.ts';

/** Reads the value at `path` inside `root`, for "(got ...)" in messages. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  // walk object shapes along the path so unknown-key errors can suggest siblings
  let cur: unknown = schema;
  const shapeOf = (s: unknown): Record<string, unknown> | undefined => {
    let node = s as { def?: { shape?: Record<string, unknown>; innerType?: unknown; type?: string }; shape?: Record<string, unknown> };
    for (let i = 0; i < 5 && node?.def && !node.def.shape && node.def.innerType; i++) node = node.def.innerType as typeof node;
    return node?.def?.shape ?? node?.shape;
  };
  for (const seg of path) {
    const shape = shapeOf(cur);
    if (!shape) return [];
    cur = shape[String(seg)];
  }
  return Object.keys(shapeOf(cur) ?? {});
}

/** Turns zod issues into located diagnostics: `loss.params.temperature: must be > 0 (got -0.1)`. */
export function zodDiagnostics(error: z.ZodError, input: unknown, base: Path, map: SourceMap, schema: z.ZodType): Diagnostic[] {
  const out: Diagnostic[] = [];
  // a cross-field refinement on a value that already failed its own check only repeats the news
  const failedPaths = new Set(error.issues.filter((i) => i.code !== 'custom').map((i) => i.path.join('.')));
  const label = (p: readonly PropertyKey[]) => [...base, ...p.map((s) => (typeof s === 'number' ? s : String(s)))].join('.');
  for (const issue of error.issues) {
    const got = valueAt(input, issue.path);
    const path: Path = [...base, ...issue.path.map((s) => (typeof s === 'number' ? s : String(s)))];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const siblings = knownKeys(schema, issue.path);
        for (const key of issue.keys) {
          const guess = didYouMean(key, siblings);
          out.push({
            ...map.key([...path, key]),
            path: label([...issue.path, key]),
            message: `unknown key${guess ? `; did you mean '${guess}'?` : ''} (allowed: ${siblings.join(', ') || 'none'})`,
          });
        }
        continue;
      }
      case 'too_small': {
        const op = issue.inclusive ? '>=' : '>';
        const what = issue.origin === 'array' ? `must have ${op} ${issue.minimum} entries` : issue.origin === 'string' ? `must have ${op} ${issue.minimum} characters` : `must be ${op} ${issue.minimum}`;
        out.push({ ...map.value(path), path: label(issue.path), message: `${what} (got ${describe(got)})` });
        continue;
      }
      case 'too_big': {
        const op = issue.inclusive ? '<=' : '<';
        const what = issue.origin === 'array' ? `must have ${op} ${issue.maximum} entries` : `must be ${op} ${issue.maximum}`;
        out.push({ ...map.value(path), path: label(issue.path), message: `${what} (got ${describe(got)})` });
        continue;
      }
      case 'invalid_type': {
        const expected = issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`;
        const message = got === undefined ? `is required (expected ${expected})` : `expected ${expected} (got ${describe(got)})`;
        out.push({ ...map.value(path), path: label(issue.path), message });
        continue;
      }
      case 'invalid_value': {
        const options = issue.values.map((v) => String(v));
        const guess = typeof got === 'string' ? didYouMean(got, options) : undefined;
        out.push({
          ...map.value(path),
          path: label(issue.path),
          message: `expected one of ${options.join(', ')} (got ${describe(got)})${guess ? `; did you mean '${guess}'?` : ''}`,
        });
        continue;
      }
      default:
        if (issue.code === 'custom' && failedPaths.has(issue.path.join('.'))) continue;
        out.push({ ...map.value(path), path: label(issue.path), message: `${issue.message} (got ${describe(got)})` });
    }
  }
  return out;
}
