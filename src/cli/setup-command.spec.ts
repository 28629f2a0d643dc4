import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBinding, CPU_FLAVOUR, findNodeHeaders, GPU_FLAVOUR, sha256Of } from '../../kits/backend/native-setup.ts';
import { missingNativeBinding } from '../../kits/backend/tfjs-node-loader.ts';
import { main } from './main.ts';

async function setup(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['setup', ...args], { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** tfjs-node counts as there only with its native binding */
const nativeReady = () => missingNativeBinding('@tensorflow/tfjs-node') === undefined;

describe('crops setup tensorflow', () => {
  it('takes exactly one target and says what it accepts', async () => {
    const none = await setup([]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/crops setup takes one target, 'tensorflow' \(got none\)/);
    expect(none.err).toContain('usage: crops setup tensorflow [options]');
    expect(none.err).toContain('--gpu');
    expect((await setup(['pytorch'])).err).toMatch(/got pytorch/);
    expect((await setup(['tensorflow', '--cuda'])).code).toBe(2);
  });

  it('pins every wheel to one file and a sha256', () => {
    for (const w of [CPU_FLAVOUR.tensorflow, GPU_FLAVOUR.tensorflow, ...GPU_FLAVOUR.cuda]) {
      expect(w.requirement).toMatch(/^[a-z0-9-]+==[\d.]+$/);
      expect(w.file.startsWith(w.requirement.split('==')[0]!.replaceAll('-', '_'))).toBe(true);
      expect(w.file).toMatch(/x86_64\.whl$/);
      expect(w.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(new Set(GPU_FLAVOUR.cuda.map((w) => w.requirement.split('==')[0])).size).toBe(12);
  });

  it('hashes files as sha256sum does', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'crops-sha-')), 'x');
    writeFileSync(file, 'abc');
    expect(await sha256Of(file)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('finds local Node headers that node-gyp can build against, when there are any', () => {
    const dir = findNodeHeaders();
    if (dir !== undefined) expect(existsSync(join(dir, 'include/node/node_api.h'))).toBe(true);
  });

  it('a binding that loads passes the matMul and gradient check; a missing one says why', () => {
    const check = checkBinding('@tensorflow/tfjs-node');
    expect(check.ok).toBe(nativeReady());
    if (check.ok) {
      expect(check.version).toMatch(/^4\.\d+\.\d+$/);
      expect(check.gflops).toBeGreaterThan(0);
    } else {
      expect(check.reason).toBeTruthy();
    }
    const absent = checkBinding('@tensorflow/no-such-binding');
    expect(absent.ok).toBe(false);
    expect(absent.reason).toMatch(/no-such-binding/);
  }, 60_000);

  it('does nothing when the backend already works', async (ctx) => {
    if (!nativeReady()) ctx.skip('no native TensorFlow here (the parity tests require it in CI)');
    const res = await setup(['tensorflow']);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^@tensorflow\/tfjs-node already works: tfjs 4\.\d+\.\d+, matMul 1024x1024 \d+ GFLOP\/s \([\d.]+ s: check [\d.]+ s\)\n$/);
  }, 60_000);
});
