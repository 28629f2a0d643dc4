import { mkdir, readFile, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { atomicWrite, writeError } from './atomic-write.ts';
import { configHash, stableStringify } from './hash.ts';
import { scrubSecrets } from './secrets.ts';

/** What a cache file holds: the key it was stored under (for inspection) and the value. */
export interface DiskCacheEntry<K, V> {
  key: K;
  value: V;
}

/**
 * A directory of JSON files addressed by the hash of a key object (key order does not matter).
 * Each entry is one line of JSON holding its key and value, so the files can be read by people and
 * concatenated into a JSONL file. Writes go through a temporary file and a rename, so a crashed or
 * concurrent writer never leaves a half-written entry behind. A hit sets the file's modification
 * time to now, so the time says when an entry was last used (access times are often not kept) and
 * `crops cache prune` can remove the entries nothing reads any more.
 */
export class DiskCache<K, V> {
  constructor(readonly dir: string) {}

  /** The file an entry with this key lives in. */
  pathOf(key: K): string {
    const hash = configHash(key, 40);
    // a two-character fan-out keeps directories small when a cache grows to many thousands of entries
    return join(this.dir, hash.slice(0, 2), `${hash}.json`);
  }

  /** The stored value, or undefined when there is none (or the file is unreadable or for another key). */
  async get(key: K): Promise<V | undefined> {
    const path = this.pathOf(key);
    let raw: string;
    try {
      raw = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(raw) as DiskCacheEntry<K, V>;
      // a hash collision, or a file edited by hand, must not return someone else's value
      if (stableStringify(entry.key) !== stableStringify(key)) return undefined;
      // a cache on a read-only disk still answers
      const now = new Date();
      await utimes(path, now, now).catch(() => undefined);
      return entry.value;
    } catch {
      return undefined;
    }
  }

  async set(key: K, value: V): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    try {
      // no known secret value is ever written to disk, whatever a plugin put in the value
      await atomicWrite(path, `${scrubSecrets(JSON.stringify({ key, value } satisfies DiskCacheEntry<K, V>))}\n`);
    } catch (e) {
      throw writeError('cache entry', path, e);
    }
  }
}

export { writeError } from './atomic-write.ts';
