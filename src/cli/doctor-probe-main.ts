// The process `crops doctor` probes the backends in: it prints the table on stdout; whatever native
// libraries (Dawn, libtensorflow) write straight to file descriptor 2 lands in a pipe the command reads.
import { doctorTable } from './doctor-command.ts';

const code = await doctorTable({ out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
// Dawn's instances would keep the event loop alive
process.exit(code);
