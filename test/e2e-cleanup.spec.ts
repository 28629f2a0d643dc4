import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, killStartedGroups, runCli, spawnCli } from './support/cli.ts';

/**
 * A `crops` process a test starts must not outlive the test with its children (trial workers, or
 * here a stand-in that sleeps): the helpers run it in its own process group and kill the group.
 */
const dir = mkdtempSync(join(tmpdir(), 'crops-cleanup-'));
// the plugin lives in the project's .crops-cache, so it resolves zod like a user's plugin would
mkdirSync('.crops-cache', { recursive: true });
const pluginDir = mkdtempSync(join(process.cwd(), '.crops-cache', 'cleanup-'));
const pidFile = join(dir, 'grandchild.pid');
// a plugin module that, on load, starts a long-lived child of the crops process, as a worker pool does
const plugin = join(pluginDir, 'spawns-a-child.js');
writeFileSync(
  plugin,
  `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
const child = spawn('sleep', ['600'], { stdio: 'ignore' });
child.unref();
writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
class Unused {}
export default { kind: 'loss', name: 'spawns-a-child', summary: 'starts a process that outlives crops', schema: z.object({}).strict(), implementation: Unused };
`,
);

/** Running, not merely a zombie waiting for whoever adopted it to reap it. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** SIGKILL is delivered asynchronously: give the process a moment to be gone. */
async function goneSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

describe('test helpers leave no process behind', () => {
  it('runCli kills what the command left running in its process group', async () => {
    const res = runCli(['plugins', 'loss', '--plugin', plugin], { cwd: dir });
    expect(res.status, res.stderr).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(await goneSoon(pid)).toBe(true);
  });

  it('spawnCli groups are killed after the test, also while the command still runs', async () => {
    writeFileSync(pidFile, '');
    const file = join(dir, 'x.yaml');
    writeFileSync(file, `extends: ${resolve('experiments/_base/tiny-world.yaml')}\nname: cleanup\ntrain: { steps: 100000 }\n`);
    const child = spawnCli([BIN, 'run', file, '--plugin', plugin], { cwd: dir, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((done) => child.on('exit', done));
    while (!out.includes('training') && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(child.pid!), out).toBe(true);
    // what the setup file's afterEach does when a test ends (or times out) with the sweep still training
    killStartedGroups();
    await exited;
    expect(await goneSoon(child.pid!)).toBe(true);
    expect(await goneSoon(grandchild)).toBe(true);
  }, 120_000);
});
