import type { Params, Text } from '@kompart/core';

/**
 * A wrong invocation: bad arguments, options or `KOMPART_*` values. Thrown by the option
 * parsers and the argument reader, caught by parseArguments, which renders the text in
 * the language already chosen (so parsers need not know it).
 */
export class UsageError extends Error {
  constructor(
    readonly text: Text,
    readonly params: Params = {},
  ) {
    super(text.en);
    this.name = 'UsageError';
  }
}
