import { injectable } from 'inversify';
import { activateBackend, backendLoader, backendObstacle, packageVersion } from '../../src/backend/tf.ts';
import type { Backend } from '../../src/extension-points/backend.ts';

/**
 * A backend plugin over one registered loader (see `registerBackendLoader`): probing, activation
 * and `crops doctor`'s description all come from the loader the plugin module registered.
 */
@injectable()
export abstract class LoaderBackend implements Backend {
  /** the name the plugin's loader was registered under */
  protected abstract readonly loaderName: string;

  get tfjsName(): string {
    return backendLoader(this.loaderName).tfjsName;
  }

  async probe(): Promise<{ available: boolean; reason?: string }> {
    const reason = await backendObstacle(this.loaderName);
    return reason === undefined ? { available: true } : { available: false, reason };
  }

  activate(): Promise<string> {
    return activateBackend(this.loaderName);
  }

  async describe(): Promise<string> {
    const loader = backendLoader(this.loaderName);
    return [loader.packages.map(packageVersion).join(', '), (await loader.describe?.()) ?? ''].filter(Boolean).join('; ');
  }
}
