#!/usr/bin/env node
// `crops` from the TypeScript sources, for development and the test suite: tsx compiles them on the fly,
// so a change in src/ or plugins/ takes effect without `npm run build`. Users run bin/crops.js (dist/).
// The project's tsconfig is named explicitly: legacy decorators must be on whatever the working directory.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

register({ tsconfig: fileURLToPath(new URL('../tsconfig.runtime.json', import.meta.url)) });
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
