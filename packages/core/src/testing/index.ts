/** @kompart/core/testing: helpers for specs and tests, never loaded by product code. */
export { FakeClock } from './fake-clock.js';
export { hasTemplateLeft, renderedCatalogue } from './catalogue-check.js';
