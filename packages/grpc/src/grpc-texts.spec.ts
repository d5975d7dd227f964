import { hasTemplateLeft, renderedCatalogue } from '@kompart/core/testing';
import { grpcTexts } from './grpc-texts.js';

describe("the gRPC glue's texts", () => {
  it.each(renderedCatalogue('grpcTexts', grpcTexts))('%s renders with every placeholder filled, leaving no braces behind', (_name, line) => {
    expect(hasTemplateLeft(line)).toBe(false);
  });
});
