#!/usr/bin/env node
// The CLI is written in TypeScript; tsx compiles it on the fly so a clone runs without a build step.
// The project's tsconfig is named explicitly: legacy decorators must be on whatever the working directory.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

// `crops plugins | head` closes the pipe early; that is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

register({ tsconfig: fileURLToPath(new URL('../tsconfig.runtime.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
