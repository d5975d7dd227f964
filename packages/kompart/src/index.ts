/**
 * @kompart/kompart: the `kompart` program (dist/bin.js, started by the bin/kompart
 * launcher). What other code uses of it: the program's texts (the end-to-end tests and the
 * demo compare its lines with them).
 */
export { cliTexts } from './texts.js';
