import { hasTemplateLeft, renderedCatalogue } from '@kompart/core/testing';
import { serverTexts } from './server-texts.js';

describe("the registry's log lines", () => {
  it.each(renderedCatalogue('serverTexts', serverTexts))('%s renders with every placeholder filled, leaving no braces behind', (_name, line) => {
    expect(hasTemplateLeft(line)).toBe(false);
  });
});
