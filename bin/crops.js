#!/usr/bin/env node
// The `crops` binary: runs the compiled CLI in dist/ (built by `npm run build`, which `npm ci` runs).
// From a clone, `node bin/crops-dev.js` runs the TypeScript sources instead, without a build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// `crops plugins | head` closes the pipe early; that is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('error crops-lab is not built (dist/src/cli/main.js is missing): run `npm run build` in the package folder');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
