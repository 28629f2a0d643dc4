import { extractJson } from './pseudo-video.ts';

/** A pseudo-document as the document prompt asks an LLM to write it: a title and a passage. */
export interface PseudoDocument {
  title: string;
  text: string;
}

/** What one generation yielded: its valid pseudo-documents and why anything else was rejected. */
export interface ParsedDocuments {
  documents: PseudoDocument[];
  rejected: string[];
}

const MAX_TITLE_CHARS = 500;
const MAX_TEXT_CHARS = 8000;

// field names as models write them; compared squashed (lowercase letters only)
const TITLE_KEYS = new Set(['title', 'heading']);
const TEXT_KEYS = new Set(['text', 'abstract', 'body', 'passage', 'content']);

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Validates one object; throws with the reason it is not a pseudo-document. */
export function toPseudoDocument(value: unknown): PseudoDocument {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  const doc: PseudoDocument = { title: '', text: '' };
  for (const [key, v] of Object.entries(value)) {
    const squashed = key.toLowerCase().replace(/[^a-z]/g, '');
    const field = TITLE_KEYS.has(squashed) ? 'title' : TEXT_KEYS.has(squashed) ? 'text' : undefined;
    if (field === undefined || v === null || v === undefined) continue;
    if (typeof v !== 'string') throw new Error(`${field} must be a string`);
    if (doc[field] === '') doc[field] = clean(v);
  }
  if (doc.text === '') throw new Error('text is missing or empty');
  if (doc.text.length > MAX_TEXT_CHARS) throw new Error(`text is longer than ${MAX_TEXT_CHARS} characters`);
  if (doc.title.length > MAX_TITLE_CHARS) throw new Error(`title is longer than ${MAX_TITLE_CHARS} characters`);
  return doc;
}

/**
 * Parses one generation: a JSON object with `title` and `text`, or a list of them, possibly inside
 * a code fence or prose. Each object is validated on its own.
 */
export function parseDocumentGeneration(reply: string): ParsedDocuments {
  let value: unknown;
  try {
    value = extractJson(reply);
  } catch (e) {
    return { documents: [], rejected: [(e as Error).message] };
  }
  const out: ParsedDocuments = { documents: [], rejected: [] };
  for (const entry of Array.isArray(value) ? value : [value]) {
    try {
      out.documents.push(toPseudoDocument(entry));
    } catch (e) {
      out.rejected.push((e as Error).message);
    }
  }
  if (Array.isArray(value) && value.length === 0) out.rejected.push('empty list');
  return out;
}

/** The text the item tower sees: title and passage joined by a space, as BEIR joins a document's. */
export function pseudoDocumentText(doc: PseudoDocument): string {
  return clean(doc.title === '' ? doc.text : `${doc.title} ${doc.text}`);
}
