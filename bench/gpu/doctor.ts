/**
 * `crops doctor` without the rest of the CLI, whose other commands import DuckDB and the report
 * renderer: the pruned node_modules of bench/gpu has neither.
 */
import 'reflect-metadata';
import { doctorCommand } from '../../src/cli/doctor-command.ts';

process.exitCode = await doctorCommand({ out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
