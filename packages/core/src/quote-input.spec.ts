import { AddressError, parseEndpoint } from './address.js';
import { MAX_FAILURE_PARAM_CHARS, QUOTED_INPUT_CHARS, boundText, quoteInput } from './quote-input.js';

describe('quoting input in messages', () => {
  it('keeps short input as it is and cuts long input to a prefix with its length', () => {
    expect(quoteInput('10.0.0.1')).toBe('10.0.0.1');
    expect(quoteInput('a'.repeat(QUOTED_INPUT_CHARS))).toBe('a'.repeat(QUOTED_INPUT_CHARS));
    expect(quoteInput('a'.repeat(1 << 20))).toBe(`${'a'.repeat(QUOTED_INPUT_CHARS)}… (1048576 characters)`);
    expect(quoteInput('abcdef', 3)).toBe('abc… (6 characters)');
  });

  it('never splits a surrogate pair and escapes control characters', () => {
    expect(quoteInput('😀😀😀', 2)).toBe('😀😀… (6 characters)');
    expect(quoteInput('a\nb\u0000c\u009b')).toBe('a\\u{a}b\\u{0}c\\u{9b}');
  });

  it('bounds a value to MAX_FAILURE_PARAM_CHARS', () => {
    expect(boundText('short')).toBe('short');
    expect(boundText('x'.repeat(MAX_FAILURE_PARAM_CHARS + 1))).toBe(`${'x'.repeat(MAX_FAILURE_PARAM_CHARS)}…`);
  });

  it.each([64 * 1024, 1024 * 1024])('an address of %d characters is refused with a short message, unread', (length) => {
    const input = ` ${'1'.repeat(length)} `;
    let caught: unknown;
    try {
      parseEndpoint(input, 50052);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AddressError);
    const message = (caught as AddressError).message;
    expect(message).toBe(`invalid address " ${'1'.repeat(QUOTED_INPUT_CHARS - 1)}… (${length + 2} characters)": too long`);
  });
});
