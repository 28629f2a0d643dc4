import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';

function experiment(dir: string, trackingUri: string): string {
  const file = join(dir, 'store.yaml');
  writeFileSync(file, `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: store\ntrain: { steps: 2 }\ntracker: { use: mlflow, params: { trackingUri: ${JSON.stringify(trackingUri)} } }\n`);
  return file;
}

/** A read-only tmpfs, where the machine allows mounting one (root in a privileged container); undefined elsewhere. */
function readOnlyMount(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'crops-ro-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}

describe('a store folder that cannot be written or does not exist', () => {
  it('names the folder, says why and what to do, and exits 2 before any trial runs', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-store-dir-'));
    writeFileSync(join(cwd, 'not-a-folder'), 'x');
    const res = runCli(['run', experiment(cwd, join(cwd, 'not-a-folder', 'mlruns'))], { cwd });
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/cannot write the MLflow file store .*not-a-folder\/mlruns: a file is in the way of one of its parent folders \(ENOTDIR\)\. Set tracker\.params\.trackingUri/);
    expect(res.stderr).not.toMatch(/stack trace/);
  });

  const ro = readOnlyMount();
  it.skipIf(!ro)('on a read-only file system: names the read-only folder', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-store-ro-'));
    try {
      const res = runCli(['run', experiment(cwd, join(ro!, 'mlruns'))], { cwd });
      expect(res.status, res.stderr).toBe(2);
      expect(res.stderr).toContain(`cannot create the MLflow file store ${join(ro!, 'mlruns')}: ${ro} is not writable, it is on a read-only file system (EROFS)`);
    } finally {
      execFileSync('umount', [ro!]);
    }
  });

  it('crops push --from a folder that does not exist says so and exits 2', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-push-missing-'));
    mkdirSync(join(cwd, 'empty'));
    const res = runCli(['push', '--from', join(cwd, 'missing'), '--to', 'http://127.0.0.1:9'], { cwd });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/the file store .*missing does not exist; give the folder `crops run` wrote/);
  });
});
