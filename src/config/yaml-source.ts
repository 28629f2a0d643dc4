import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Diagnostic } from '../core/errors.ts';
import { SourceMap, type Loc, type Path } from './source-map.ts';

export interface LoadedYaml {
  value: unknown;
  map: SourceMap;
  diagnostics: Diagnostic[];
}

/** Parses YAML text keeping the position of every node; syntax errors become diagnostics. */
export function parseYamlWithPositions(text: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  // YAML merge keys (`<<: *base`) are supported; aliases are bounded (an alias bomb is an error, not a hang)
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true });
  const diagnostics: Diagnostic[] = [];
  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    diagnostics.push({
      file,
      line: pos.line,
      col: pos.col,
      message: `YAML syntax: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    });
  }
  const map = new SourceMap();
  if (diagnostics.length > 0) return { value: undefined, map, diagnostics };
  const locOf = (node: Node | null | undefined): Loc | undefined => {
    const start = node?.range?.[0];
    if (start === undefined) return undefined;
    const { line, col } = lineCounter.linePos(start);
    return { file, line, col };
  };
  const walk = (node: Node | null | undefined, path: Path): void => {
    const loc = locOf(node);
    if (loc) map.setValue(path, loc);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyLoc = locOf(pair.key as Node);
        // `__proto__` would set the prototype of the object it lands in instead of a key
        if (key === '__proto__') diagnostics.push({ ...(keyLoc ?? { file }), message: 'the key __proto__ is not allowed' });
        if (keyLoc) map.setKey([...path, key], keyLoc);
        // a key with no value (`loss:`) still gets a position, at its key
        if (pair.value == null && keyLoc) map.setValue([...path, key], keyLoc);
        walk(pair.value as Node, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as Node, [...path, i]));
    }
  };
  walk(doc.contents as Node, []);
  if (diagnostics.length > 0) return { value: undefined, map, diagnostics };
  try {
    return { value: doc.toJS({ maxAliasCount: 1000 }), map, diagnostics };
  } catch (e) {
    // the yaml library refuses documents whose aliases expand past the limit ("billion laughs")
    return { value: undefined, map, diagnostics: [{ file, line: 1, col: 1, message: `YAML aliases expand too far (${(e as Error).message}); use fewer nested aliases` }] };
  }
}

export function loadYamlFile(file: string, displayName = file): LoadedYaml {
  let text: string;
  try {
    const bytes = readFileSync(file);
    // a binary file (a NUL byte, or bytes that are not UTF-8) is not YAML: say so instead of echoing it
    if (bytes.includes(0)) throw Object.assign(new Error('binary'), { code: 'BINARY' });
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e instanceof TypeError ? 'BINARY' : undefined);
    const message =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a YAML file' : code === 'BINARY' ? 'is not a YAML text file (binary or non-UTF-8 content)' : `cannot read file (${code ?? String(e)})`;
    return { value: undefined, map: new SourceMap(), diagnostics: [{ file: displayName, message }] };
  }
  return parseYamlWithPositions(text, displayName);
}
