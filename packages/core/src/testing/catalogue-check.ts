import { LANGS, render, type Text } from '../messages.js';

/** Every placeholder name a template uses, plain (`{peer}`) or plural (`{files, plural, …}`). */
function placeholders(template: string): string[] {
  return [...template.matchAll(/\{\s*([A-Za-z0-9_]+)\s*[,}]/g)].map((match) => match[1]!);
}

/**
 * One case per text and language of a catalogue: its name and the line it renders with
 * every placeholder filled. A spec checks each line has no braces or plural syntax left:
 * `it.each(renderedCatalogue('cliTexts', cliTexts))('%s', (_name, line) => expect(line)…)`.
 */
export function renderedCatalogue(name: string, texts: Readonly<Record<string, Text>>): (readonly [string, string])[] {
  return Object.entries(texts).flatMap(([key, text]) =>
    LANGS.map((lang) => [`${name}.${key} (${lang})`, render(text, lang, Object.fromEntries(placeholders(text[lang]).map((p) => [p, 2])))] as const),
  );
}

/** True when a rendered line still shows template syntax. */
export function hasTemplateLeft(line: string): boolean {
  return /\{\s*[A-Za-z0-9_]+\s*(,|\})/.test(line) || line.includes('plural');
}
