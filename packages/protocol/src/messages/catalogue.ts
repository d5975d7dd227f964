/** The message catalogue: every line kompart shows a person, in Portuguese (the default)
 * and English. Texts use `{name}` placeholders. */

export type Lang = 'pt' | 'en';
export const LANGS: readonly Lang[] = ['pt', 'en'];
export const DEFAULT_LANG: Lang = 'pt';

export interface Text {
  readonly pt: string;
  readonly en: string;
}

export type Params = Readonly<Record<string, string | number | bigint | undefined>>;

/** Replaces `{name}` placeholders; unknown placeholders are left as they are. */
export function fill(template: string, params: Params = {}): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, key: string) => {
    const value = params[key];
    return value === undefined ? whole : String(value);
  });
}

/** Picks the language of a text and fills it. */
export function render(text: Text, lang: Lang, params?: Params): string {
  return fill(text[lang], params);
}

/** True for the supported language codes. */
export function isLang(value: string): value is Lang {
  return (LANGS as readonly string[]).includes(value);
}
