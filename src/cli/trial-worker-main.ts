// A trial worker of `crops run --parallel N`: started by the sweep with an IPC channel, it loads the
// experiment and plugins the same way the command did and serves the trials it is handed.
import 'reflect-metadata';
import { serveTrials } from '../runner/trial-worker.ts';
import { loadValidated, type ExperimentArgs } from './validate-command.ts';

serveTrials((load) => loadValidated(load as ExperimentArgs));
