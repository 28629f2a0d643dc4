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
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
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
  return { value: doc.toJS({ maxAliasCount: 1000 }), map, diagnostics };
}

export function loadYamlFile(file: string, displayName = file): LoadedYaml {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      value: undefined,
      map: new SourceMap(),
      diagnostics: [{ file: displayName, message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(e)})` }],
    };
  }
  return parseYamlWithPositions(text, displayName);
}
