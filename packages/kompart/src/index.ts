/**
 * @kompart/kompart: the `kompart` program (dist/bin.js, started by the bin/kompart
 * launcher). What other code may use: `main`, the exit codes, and the program's texts (the
 * end-to-end tests and the demo compare its lines with them).
 */
export { main } from './cli.js';
export { ExitCode } from './exit-codes.js';
export { cliTexts } from './texts.js';
