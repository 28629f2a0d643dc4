/** Where a command writes: the process's stdout and stderr, or buffers in tests. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}
