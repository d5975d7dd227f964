/** Signals that end a kompart process cleanly. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The process around a run mode, injected so run modes never touch `process` themselves. */
export interface ProgramIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly cwd: string;
  /** The environment (NO_COLOR, …). */
  readonly env: NodeJS.ProcessEnv;
  /** Calls `handler` for each SIGINT, SIGTERM or SIGHUP until the returned function is called. */
  onSignal(handler: (signal: StopSignal) => void): () => void;
  /** Ends the process at once (a second Ctrl-C while shutting down). */
  exitNow(code: number): never;
}
