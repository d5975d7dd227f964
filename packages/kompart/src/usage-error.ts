import { quoteInput, type Params, type Text } from '@kompart/core';

/**
 * A wrong invocation: bad arguments, options or `KOMPART_*` values. Thrown by the option
 * parsers and the argument reader, caught by parseArguments, which renders the text in
 * the language already chosen (so parsers need not know it). Text values are quoted
 * through quoteInput: an argument of a megabyte comes back as a short prefix.
 */
export class UsageError extends Error {
  readonly params: Params;

  constructor(
    readonly text: Text,
    params: Params = {},
  ) {
    super(text.en);
    this.name = 'UsageError';
    this.params = Object.fromEntries(Object.entries(params).map(([key, value]) => [key, typeof value === 'string' ? quoteInput(value) : value]));
  }
}
