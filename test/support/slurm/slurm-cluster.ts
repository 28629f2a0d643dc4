import { spawnSync } from 'node:child_process';

/**
 * Whether a Slurm cluster answers here with a node ready for jobs. CI starts one
 * (test/support/slurm/start-slurm.sh) and sets CROPS_REQUIRE_SLURM=1, which turns a missing
 * cluster into a failure instead of a skipped test.
 */
export function slurmCluster(): { ready: boolean; reason: string } {
  const sinfo = spawnSync('sinfo', ['-h', '-N', '-o', '%N %T'], { encoding: 'utf8', timeout: 10_000 });
  let reason = '';
  if (sinfo.error) reason = 'the Slurm client commands are not installed (apt-get install slurm-wlm munge)';
  else if (sinfo.status !== 0) reason = `sinfo failed: ${sinfo.stderr.trim()} (start one with test/support/slurm/start-slurm.sh, as root)`;
  else if (!/\b(idle|mixed|allocated)\b/.test(sinfo.stdout)) reason = `no Slurm node is ready: ${sinfo.stdout.trim() || 'no nodes'}`;
  const ready = reason === '';
  if (!ready && process.env.CROPS_REQUIRE_SLURM === '1') throw new Error(`CROPS_REQUIRE_SLURM=1 but ${reason}`);
  if (!ready) console.warn(`skipping the Slurm launcher tests: ${reason}`);
  return { ready, reason };
}
