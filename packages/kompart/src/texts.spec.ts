import { hasTemplateLeft, renderedCatalogue } from '@kompart/core/testing';
import { cliTexts } from './texts.js';

describe("the program's texts", () => {
  it.each(renderedCatalogue('cliTexts', cliTexts))('%s renders with every placeholder filled, leaving no braces behind', (_name, line) => {
    expect(hasTemplateLeft(line)).toBe(false);
  });
});
