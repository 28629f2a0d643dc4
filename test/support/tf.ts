import { activateBackend, type BackendName } from '../../src/backend/tf.ts';
// the bundled backends register their loaders when their plugin modules load
import '../../plugins/backend/auto-backend.ts';
import '../../plugins/backend/cpu-backend.ts';

/** Activates a tfjs backend once per test file (wasm unless CROPS_TEST_BACKEND says otherwise). */
export async function useBackend(name: BackendName = (process.env.CROPS_TEST_BACKEND as BackendName) ?? 'wasm'): Promise<void> {
  await activateBackend(name);
}
