/** Pseudo-video metadata as the prompt asks an LLM to write it (the paper's five fields). */
export interface PseudoVideo {
  caption: string;
  tags: string[];
  coverText: string;
  keywords: string[];
  relatedQueries: string[];
}

export const PSEUDO_VIDEO_FIELDS = ['caption', 'tags', 'coverText', 'keywords', 'relatedQueries'] as const;
export type PseudoVideoField = (typeof PSEUDO_VIDEO_FIELDS)[number];

/** What one generation yielded: its valid pseudo-videos and why anything else was rejected. */
export interface ParsedGeneration {
  videos: PseudoVideo[];
  rejected: string[];
}

const MAX_CAPTION_CHARS = 2000;
const MAX_LIST_ENTRIES = 30;
const MAX_ENTRY_CHARS = 200;

// models spell field names every way (cover_text, "Cover text", relatedQueries); compare them squashed
const FIELD_BY_SQUASHED: Record<string, PseudoVideoField> = {
  caption: 'caption',
  title: 'caption',
  tags: 'tags',
  hashtags: 'tags',
  covertext: 'coverText',
  cover: 'coverText',
  keywords: 'keywords',
  relatedqueries: 'relatedQueries',
  relatedsearches: 'relatedQueries',
};

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The first JSON value in a reply, tolerating code fences and prose around it. */
export function extractJson(reply: string): unknown {
  const trimmed = reply.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    // fall through to the outermost bracketed span
  }
  const start = trimmed.search(/[[{]/);
  if (start < 0) throw new Error('no JSON object in the reply');
  const close = trimmed[start] === '{' ? '}' : ']';
  const end = trimmed.lastIndexOf(close);
  if (end <= start) throw new Error('unterminated JSON in the reply');
  try {
    return JSON.parse(trimmed.slice(start, end + 1));
  } catch (e) {
    throw new Error(`invalid JSON in the reply (${(e as Error).message})`, { cause: e });
  }
}

function toList(value: unknown, field: string): string[] {
  const raw = typeof value === 'string' ? value.split(/[,;\n]/) : Array.isArray(value) ? value : undefined;
  if (raw === undefined) throw new Error(`${field} must be a list of strings`);
  const out: string[] = [];
  for (const v of raw) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${field} must be a list of strings`);
    const s = clean(String(v).replace(/^#/, ''));
    if (s !== '' && out.length < MAX_LIST_ENTRIES) out.push(s.slice(0, MAX_ENTRY_CHARS));
  }
  return out;
}

/** Validates one object; throws with the reason it is not a pseudo-video. */
export function toPseudoVideo(value: unknown): PseudoVideo {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  const video: PseudoVideo = { caption: '', tags: [], coverText: '', keywords: [], relatedQueries: [] };
  for (const [key, v] of Object.entries(value)) {
    const field = FIELD_BY_SQUASHED[key.toLowerCase().replace(/[^a-z]/g, '')];
    if (field === undefined || v === null || v === undefined) continue;
    if (field === 'caption' || field === 'coverText') {
      if (typeof v !== 'string') throw new Error(`${field} must be a string`);
      video[field] = clean(v);
    } else {
      video[field] = toList(v, field);
    }
  }
  if (video.caption === '') throw new Error('caption is missing or empty');
  if (video.caption.length > MAX_CAPTION_CHARS) throw new Error(`caption is longer than ${MAX_CAPTION_CHARS} characters`);
  return video;
}

/**
 * Parses one generation: a JSON object, or a list of them, possibly inside a code fence or prose.
 * Each object is validated on its own, so one bad entry of a list does not discard the others.
 */
export function parseGeneration(reply: string): ParsedGeneration {
  let value: unknown;
  try {
    value = extractJson(reply);
  } catch (e) {
    return { videos: [], rejected: [(e as Error).message] };
  }
  const out: ParsedGeneration = { videos: [], rejected: [] };
  for (const entry of Array.isArray(value) ? value : [value]) {
    try {
      out.videos.push(toPseudoVideo(entry));
    } catch (e) {
      out.rejected.push((e as Error).message);
    }
  }
  if (Array.isArray(value) && value.length === 0) out.rejected.push('empty list');
  return out;
}

/** The text the item tower sees: the chosen fields in order, space-separated, like a corpus item. */
export function pseudoVideoText(video: PseudoVideo, fields: readonly PseudoVideoField[] = PSEUDO_VIDEO_FIELDS): string {
  const parts = fields.map((f) => {
    const v = video[f];
    return typeof v === 'string' ? v : v.join(' ');
  });
  return clean(parts.join(' '));
}
