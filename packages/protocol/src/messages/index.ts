export * from './catalogue.js';
export { errorTexts } from './errors.js';
export { serverTexts } from './server.js';
export { cliTexts } from './cli.js';
export { peerTexts } from './peer.js';
