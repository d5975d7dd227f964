/** @kompart/kompart: the `kompart` program (dist/bin.js, started by the bin/kompart launcher). Exported for tests and embedding. */
export { main } from './cli.js';
export { parseArguments, pickLang, DEFAULTS, ENV, LOG_LEVELS, type KompartConfig, type PeerConfig, type ServerConfig, type LogLevel, type ParsedCommandLine } from './config.js';
export { parseCommand, COMMAND_WORDS, type Command, type ParsedLine } from './commands.js';
export { ExitCode } from './exit-codes.js';
export { createLineLogger } from './line-logger.js';
export { formatBytes, formatDuration, formatRate } from './format.js';
export { runPeer } from './run-peer.js';
export { runServer } from './run-server.js';
export type { ProgramIo, StopSignal } from './io.js';
