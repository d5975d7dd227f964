/** Exit codes of the kompart program (documented in --help and the README). */
export const ExitCode = {
  /** Everything went well (a peer left cleanly, the server stopped on a signal). */
  Ok: 0,
  /** A command failed (input that is not a terminal), or an unexpected run-time error. */
  Failed: 1,
  /** Wrong usage: bad arguments, options or environment variables. */
  Usage: 2,
  /** The address to listen on is in use or unavailable (registry or FileService). */
  Unavailable: 3,
  /** Interrupted a second time while shutting down. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
