import { IntlMessageFormat } from 'intl-messageformat';

/**
 * The message engine: every line kompart shows a person is a Text, in Portuguese (the
 * default) and English, kept in a catalogue of the package that speaks it (contract
 * errors here, the registry's log lines in @kompart/registry-server, the peer's local
 * errors in @kompart/peer, the program's own lines in @kompart/kompart). Texts use `{name}` placeholders; a text that counts something uses an ICU
 * plural instead (`{files, plural, =0 {0 arquivos} one {# arquivo} other {# arquivos}}`),
 * formatted by intl-messageformat with the language's plural rules and digit grouping
 * (`1 arquivo`, `10.000 arquivos`, `10,000 files`). Portuguese counts say `0 arquivos`:
 * CLDR files 0 under `one` for pt, so those texts spell out the `=0` case.
 */

export type Lang = 'pt' | 'en';
export const LANGS: readonly Lang[] = ['pt', 'en'];
export const DEFAULT_LANG: Lang = 'pt';

export interface Text {
  readonly pt: string;
  readonly en: string;
}

export type Params = Readonly<Record<string, string | number | bigint | undefined>>;

/** Replaces `{name}` placeholders; unknown placeholders are left as they are. */
function fill(template: string, params: Params = {}): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, key: string) => {
    const value = params[key];
    return value === undefined ? whole : String(value);
  });
}

const PLURAL = /\{\s*[A-Za-z0-9_]+\s*,\s*plural\s*,/;
const pluralFormats = new Map<string, IntlMessageFormat>();

/** Formats a text with ICU plurals; its parameters must all be given (a missing one throws). */
function formatPlural(template: string, lang: Lang, params: Params): string {
  let format = pluralFormats.get(template);
  if (format === undefined) {
    format = new IntlMessageFormat(template, lang, undefined, { ignoreTag: true });
    pluralFormats.set(template, format);
  }
  const values: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) values[key] = typeof value === 'bigint' ? Number(value) : value;
  }
  return String(format.format(values));
}

/** Picks the language of a text and fills it. */
export function render(text: Text, lang: Lang, params: Params = {}): string {
  const template = text[lang];
  return PLURAL.test(template) ? formatPlural(template, lang, params) : fill(template, params);
}

/** True for the supported language codes. */
export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}
