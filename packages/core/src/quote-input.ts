/**
 * Bounds on how much of a caller's input any message may quote (issue 20 item 4). A
 * message that echoed a 64 KiB address whole overflowed the client's metadata limit (the
 * status travels in `grpc-message` and again in `grpc-status-details-bin`); one of 1 MiB
 * left the client waiting out its deadline. Every text that quotes input quotes a short
 * prefix of it, and the server boundary cuts any value that still reaches it.
 */

/** Longest prefix of an input a message quotes, in characters (code points). */
export const QUOTED_INPUT_CHARS = 128;

/**
 * Longest value of a failure's parameter sent to a client, in characters: the last
 * defence at the server boundary, for values that are not quoted input (a list of
 * candidate paths); quoted input is already cut to QUOTED_INPUT_CHARS.
 */
export const MAX_FAILURE_PARAM_CHARS = 1024;

/**
 * `input` when it is at most `max` characters, else its first `max` characters followed
 * by `…` and the full length (`aaaa… (65536 characters)`). Never splits a surrogate pair.
 * Control characters are shown as `\u{..}` escapes so a quote cannot forge a line of a log.
 */
export function quoteInput(input: string, max: number = QUOTED_INPUT_CHARS): string {
  const cut = cutAt(input, max);
  const shown = escapeControls(cut ?? input);
  return cut === undefined ? shown : `${shown}… (${input.length} characters)`;
}

/** `value` cut to `max` characters with a trailing `…`, or `value` itself when short enough. */
export function boundText(value: string, max: number = MAX_FAILURE_PARAM_CHARS): string {
  const cut = cutAt(value, max);
  return cut === undefined ? value : `${cut}…`;
}

/** The first `max` code points of `value`, or undefined when it is not longer than that. */
function cutAt(value: string, max: number): string | undefined {
  if (value.length <= max) return undefined;
  let end = 0;
  for (let points = 0; points < max && end < value.length; points += 1) {
    end += (value.codePointAt(end) ?? 0) > 0xffff ? 2 : 1;
  }
  return end >= value.length ? undefined : value.slice(0, end);
}

function escapeControls(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}
