/** Longest final name the downloader writes, in UTF-8 bytes. Leaves room for ` (999)` and
 * the `.<16 hex>.part` suffix within the usual 255-byte NAME_MAX. */
export const MAX_SAFE_NAME_BYTES = 200;

// C0 and C1 control characters, DEL, and the Unicode bidirectional overrides and isolates
// that can make a name display differently from what it is.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

// What the downloader's own part files look like (see partFileName). Case-insensitive, for
// file systems that are.
const PART_FILE_NAME = /\.[0-9a-f]{16}\.part$/i;

/**
 * Reduces a name that came from the network to a safe base name for the downloads
 * folder: only the part after the last `/` or `\`, without control characters, without
 * leading dots (so never `.`, `..` or a hidden file) or surrounding spaces, at most
 * MAX_SAFE_NAME_BYTES bytes (the extension is kept when it is short). Never empty: falls
 * back to `fallback`. Never the name of a part file (`<name>.<16 hex>.part` becomes
 * `<name>.<16 hex>_part`): a later download of that hash would take a finished file so
 * named for its partial download, resume into it, and delete it when it does not verify.
 */
export function safeFileName(raw: string, fallback = 'download'): string {
  const segments = raw.split(/[/\\]/);
  let name = (segments.filter((segment) => segment.trim().length > 0).pop() ?? '').replace(UNSAFE_CHARACTERS, '');
  name = name
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (name.length === 0) name = fallback;
  name = truncateName(name, MAX_SAFE_NAME_BYTES);
  return PART_FILE_NAME.test(name) ? `${name.slice(0, -'.part'.length)}_part` : name;
}

/** Cuts a name to `maxBytes` UTF-8 bytes on a character boundary, keeping a short extension. */
function truncateName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name, 'utf8') <= maxBytes) return name;
  const { stem, ext } = splitExtension(name);
  const keepExt = Buffer.byteLength(ext, 'utf8') <= 20 ? ext : '';
  const budget = maxBytes - Buffer.byteLength(keepExt, 'utf8');
  let out = '';
  let used = 0;
  for (const character of keepExt === '' ? name : stem) {
    const size = Buffer.byteLength(character, 'utf8');
    if (used + size > budget) break;
    out += character;
    used += size;
  }
  return out + keepExt;
}

/** `song.mp3` → `song` + `.mp3`; a name without a dot (after its first character) has no extension. */
function splitExtension(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return { stem: name, ext: '' };
  return { stem: name.slice(0, dot), ext: name.slice(dot) };
}

/** The n-th alternative of a name: `song.mp3`, `song (1).mp3`, `song (2).mp3`, … */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const { stem, ext } = splitExtension(name);
  return `${stem} (${n})${ext}`;
}

/** The part file of a download: `<name>.<first 16 hex digits of the hash>.part`. Tying
 * it to the hash means a resume never mixes the bytes of two different files. */
export function partFileName(name: string, sha256: string): string {
  return `${name}.${sha256.slice(0, 16).toLowerCase()}.part`;
}
