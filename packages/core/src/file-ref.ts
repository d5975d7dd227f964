/** A `get file` argument split into holder and file reference: `127.0.0.2/song.mp3`. */
export interface FileRef {
  readonly holder: string;
  readonly file: string;
}

/**
 * Splits `<holder>/<file>` at the first `/` (`[v6]:port/...` works too).
 * Returns undefined when either side is empty.
 */
export function parseFileRef(text: string): FileRef | undefined {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  if (slash <= 0) return undefined;
  const holder = trimmed.slice(0, slash).trim();
  const file = trimmed.slice(slash + 1);
  if (holder.length === 0 || file.length === 0) return undefined;
  return { holder, file };
}
