import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';

/**
 * `crops run` of the quickstart in a working directory on a small real tmpfs, so the disk fills up
 * during the sweep: at 300 KiB while a trial's run is being created in the store, at 700 KiB while
 * the trial writes its mined-candidates cache. Needs root with CAP_SYS_ADMIN to mount; skipped elsewhere.
 */
const mounted: string[] = [];
function smallDisk(size: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'crops-fullrun-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    mounted.push(dir);
    return dir;
  } catch {
    return undefined;
  }
}
const canMount = (() => {
  const probe = smallDisk('64k');
  return probe !== undefined;
})();
afterAll(() => {
  for (const dir of mounted) execFileSync('umount', [dir]);
});

const files = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String);

describe.skipIf(!canMount)('crops run on a disk that fills up', () => {
  it.each(['300k', '700k'])('%s: a located error, every run closed FAILED, no partial file, the disk not left full', (size) => {
    const cwd = smallDisk(size)!;
    // the experiment file sits on the small disk too, as a user's project would
    copyFileSync(resolve('experiments/quickstart.yaml'), join(cwd, 'q.yaml'));
    writeFileSync(join(cwd, 'q.yaml'), readFileSync(join(cwd, 'q.yaml'), 'utf8').replace('./_base/tiny-world.yaml', resolve('experiments/_base/tiny-world.yaml')));
    const res = runCli(['run', 'q.yaml', '--set', 'train.steps=20'], { cwd, timeoutMs: 240_000 });
    expect(res.status, res.stderr).toBe(1);
    // the error says what was being written, where
    expect(res.stderr).toMatch(new RegExp(`FAILED: .*could not write [^\\n]* ${cwd}/\\S+: the disk is full \\(ENOSPC\\); free space and run again`));

    const all = files(cwd);
    const metas = all.filter((f) => f.endsWith('meta.yaml') && f.split('/').length === 4);
    expect(metas.length).toBeGreaterThan(0);
    // MLflow's status codes: 1 RUNNING, 3 FINISHED, 4 FAILED
    for (const m of metas) expect(readFileSync(join(cwd, m), 'utf8'), m).toMatch(/^status: 4$/m);
    expect(all.filter((f) => f.includes('.crops-tmp-'))).toEqual([]);
    for (const f of all.filter((x) => x.includes('/metrics/'))) {
      const text = readFileSync(join(cwd, f), 'utf8');
      if (text) expect(text.endsWith('\n'), f).toBe(true);
    }
    const { bavail, blocks } = statfsSync(cwd);
    expect(bavail / blocks).toBeGreaterThan(0.2);
  }, 300_000);
});
