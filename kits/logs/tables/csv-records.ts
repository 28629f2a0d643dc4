import { CropsError } from '../../../src/core/errors.ts';
import { strictUtf8 } from './strict-utf8.ts';

/** A quoted field still open at the end of the input: where it opened and which field of its record. */
class UnclosedQuote extends Error {
  constructor(
    readonly where: string,
    readonly field: number,
  ) {
    super(`${where}: a quoted field opened here is never closed`);
  }
}

/** One parsed CSV record with where it starts, so errors can point at a line and column. */
export interface CsvRecord {
  /** 1-based line of the record's first character */
  line: number;
  fields: string[];
  /** 1-based column of each field's first character on its line */
  cols: number[];
}

interface Cursor {
  pos: number;
  line: number;
  /** index in the buffer where the current line starts (for columns) */
  lineStart: number;
}

/**
 * Streams the records of an RFC 4180 CSV file (comma-separated, `"` quoting with `""` escapes,
 * quoted fields may hold commas and newlines; `\r\n` and `\n` line ends). Reads in chunks, so
 * files larger than a JS string can hold are fine. Fields are cut with `indexOf`/`slice` rather
 * than character by character, which is what makes multi-gigabyte logs practical. Blank lines are
 * skipped; text after a closing quote is kept as written. A quote left open at the end of the file
 * is reported with the line where its field began.
 */
export async function* csvRecords(file: string): AsyncGenerator<CsvRecord> {
  let buf = '';
  const cur: Cursor = { pos: 0, line: 1, lineStart: 0 };
  let header: string[] | undefined;
  const drain = function* (final: boolean): Generator<CsvRecord> {
    for (;;) {
      let rec: ReturnType<typeof parseRecord>;
      try {
        rec = parseRecord(buf, cur, final, file);
      } catch (e) {
        if (!(e instanceof UnclosedQuote)) throw e;
        // the column is named, since the line may be far above the end where the parser noticed
        const column = header?.[e.field]?.trim() ?? `#${e.field + 1}`;
        throw new CropsError(`${e.where}: column '${column}': a quoted field opened here is never closed (expected a closing " before the end of the file)`);
      }
      if (rec === 'incomplete' || rec === 'end') return;
      if (rec) {
        header ??= rec.fields;
        yield rec;
      }
    }
  };
  // invalid UTF-8 is a located error, never a U+FFFD that could merge two ids
  for await (const text of strictUtf8(file)) {
    // keep only the unparsed tail, so the buffer stays about one chunk long
    buf = buf.slice(cur.pos) + text;
    cur.lineStart -= cur.pos;
    cur.pos = 0;
    yield* drain(false);
  }
  buf = buf.slice(cur.pos);
  cur.lineStart -= cur.pos;
  cur.pos = 0;
  yield* drain(true);
}

/**
 * Parses one record at `cur.pos`. Returns undefined for a blank line, 'incomplete' when the record
 * may continue past the buffer (more input is needed), 'end' at the end of the input.
 */
function parseRecord(buf: string, cur: Cursor, final: boolean, file: string): CsvRecord | undefined | 'incomplete' | 'end' {
  if (cur.pos >= buf.length) return final ? 'end' : 'incomplete';
  let i = cur.pos;
  let line = cur.line;
  let lineStart = cur.lineStart;
  const startLine = line;
  const fields: string[] = [];
  const cols: number[] = [];
  for (;;) {
    cols.push(i - lineStart + 1);
    let field: string;
    if (buf.charCodeAt(i) === 34 /* " */) {
      const openLine = line;
      let j = i + 1;
      field = '';
      for (;;) {
        const q = buf.indexOf('"', j);
        if (q < 0 || (q === buf.length - 1 && !final)) {
          if (final && q < 0) throw new UnclosedQuote(`${file}:${openLine}:${cols[cols.length - 1]}`, fields.length);
          return 'incomplete';
        }
        const part = buf.slice(j, q);
        for (let nl = part.indexOf('\n'); nl >= 0; nl = part.indexOf('\n', nl + 1)) {
          line++;
          lineStart = j + nl + 1;
        }
        field += part;
        if (buf.charCodeAt(q + 1) === 34) {
          field += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // text after the closing quote up to the delimiter is kept as written
      const end = delimiterAt(buf, i);
      if (end < 0 && !final) return 'incomplete';
      const stop = end < 0 ? buf.length : end;
      field += stripCr(buf.slice(i, stop));
      i = stop;
    } else {
      const end = delimiterAt(buf, i);
      if (end < 0 && !final) return 'incomplete';
      const stop = end < 0 ? buf.length : end;
      field = stripCr(buf.slice(i, stop));
      i = stop;
    }
    fields.push(field);
    if (i < buf.length && buf.charCodeAt(i) === 44 /* , */) {
      i++;
      continue;
    }
    // end of record: a newline or the end of the input
    if (i < buf.length) {
      i++;
      line++;
      lineStart = i;
    }
    cur.pos = i;
    cur.line = line;
    cur.lineStart = lineStart;
    if (fields.length === 1 && fields[0] === '') return undefined;
    return { line: startLine, fields, cols };
  }
}

/** Index of the next `,` or `\n` from `i`, or -1. */
function delimiterAt(buf: string, i: number): number {
  const comma = buf.indexOf(',', i);
  const nl = buf.indexOf('\n', i);
  if (comma < 0) return nl;
  if (nl < 0) return comma;
  return Math.min(comma, nl);
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}
