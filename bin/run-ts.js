#!/usr/bin/env node
// Runs one TypeScript entry point (e.g. `node bin/run-ts.js bench/run.ts --quick`) without a build step.
// The project's tsconfig is named explicitly: legacy decorators must be on whatever the working directory.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bin/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
register({ tsconfig: fileURLToPath(new URL('../tsconfig.runtime.json', import.meta.url)) });
// the entry sees its own arguments as process.argv.slice(2), as if it had been run directly
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
