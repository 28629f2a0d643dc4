import { existsSync, readdirSync } from 'node:fs';

/**
 * Number of NVIDIA GPUs this process may use, judged from the driver's files (no CUDA library is
 * loaded): 0 without a driver, or when CUDA_VISIBLE_DEVICES hides every device.
 */
export function visibleNvidiaGpus(env: NodeJS.ProcessEnv = process.env): number {
  const mask = env.CUDA_VISIBLE_DEVICES;
  if (mask !== undefined && (mask.trim() === '' || mask.trim() === '-1')) return 0;
  let count: number;
  try {
    count = readdirSync('/proc/driver/nvidia/gpus').length;
  } catch {
    count = existsSync('/dev/nvidia0') ? 1 : 0;
  }
  if (mask !== undefined && count > 0) count = Math.min(count, mask.split(',').filter((s) => s.trim() !== '').length);
  return count;
}
