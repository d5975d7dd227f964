export * from './catalogue.js';
export { errorTexts } from './errors.js';
