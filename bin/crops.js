#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it on the fly so a clone runs without a build step.
// The project's tsconfig is named explicitly: legacy decorators must be on whatever the working directory.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.runtime.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
