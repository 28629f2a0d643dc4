import { activateBackend, type BackendName } from '../../src/backend/tf.ts';

/** Activates a tfjs backend once per test file (wasm unless CROPS_TEST_BACKEND says otherwise). */
export async function useBackend(name: BackendName = (process.env.CROPS_TEST_BACKEND as BackendName) ?? 'wasm'): Promise<void> {
  await activateBackend(name);
}
