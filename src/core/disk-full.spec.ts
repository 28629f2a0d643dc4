import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskCache } from './disk-cache.ts';

/** A 2 MiB tmpfs, where the machine lets this process mount one (root with CAP_SYS_ADMIN); undefined elsewhere. */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'crops-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}

const disk = smallDisk();
afterAll(() => {
  if (disk) execFileSync('umount', [disk]);
});

describe.skipIf(!disk)('a full disk (a real 2 MiB tmpfs)', () => {
  it('names the entry and the cause, and leaves no partial file filling the disk', async () => {
    const cache = new DiskCache<{ k: number }, string>(join(disk!, 'cache'));
    await cache.set({ k: 1 }, 'small');
    const err = (await cache.set({ k: 2 }, 'x'.repeat(3 << 20)).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`could not write cache entry ${disk}/cache/\\w+/\\w+\\.json: the disk is full \\(ENOSPC\\)`));
    const left = readdirSync(join(disk!, 'cache'), { recursive: true }).map(String);
    expect(left.filter((f) => f.includes('.crops-tmp-') || f.endsWith('.tmp'))).toEqual([]);
    // the space is free again: the next small write succeeds
    await cache.set({ k: 3 }, 'small again');
    expect(await cache.get({ k: 3 })).toBe('small again');
  });
});
