import { cliTexts } from './cli.js';
import { errorTexts } from './errors.js';
import { peerTexts } from './peer.js';
import { serverTexts } from './server.js';
import { LANGS, render, type Text } from './catalogue.js';

const catalogues: Record<string, Record<string, Text>> = { cliTexts, errorTexts, peerTexts, serverTexts };

/** Every placeholder name a template uses, plain (`{peer}`) or plural (`{files, plural, …}`). */
function placeholders(template: string): string[] {
  return [...template.matchAll(/\{\s*([A-Za-z0-9_]+)\s*[,}]/g)].map((match) => match[1]!);
}

describe('message catalogue', () => {
  const every = Object.entries(catalogues).flatMap(([catalogue, texts]) =>
    Object.entries(texts).flatMap(([key, text]) => LANGS.map((lang) => [`${catalogue}.${key} (${lang})`, text, lang] as const)),
  );

  it.each(every)('%s renders with every placeholder filled, leaving no braces behind', (_name, text, lang) => {
    const params = Object.fromEntries(placeholders(text[lang]).map((name) => [name, 2]));
    const line = render(text, lang, params);
    expect(line).not.toMatch(/\{\s*[A-Za-z0-9_]+\s*(,|\})/);
    expect(line).not.toContain('plural');
  });

  it('says one file, and 0 or many files, in both languages', () => {
    const line = (lang: 'pt' | 'en', files: number) => render(serverTexts.peerDisconnected, lang, { peer: '127.0.0.2', files });
    expect([0, 1, 2].map((files) => line('pt', files))).toEqual([
      'Peer 127.0.0.2 desconectado (0 arquivos removidos)',
      'Peer 127.0.0.2 desconectado (1 arquivo removido)',
      'Peer 127.0.0.2 desconectado (2 arquivos removidos)',
    ]);
    expect([0, 1, 2].map((files) => line('en', files))).toEqual([
      'Peer 127.0.0.2 disconnected (0 files removed)',
      'Peer 127.0.0.2 disconnected (1 file removed)',
      'Peer 127.0.0.2 disconnected (2 files removed)',
    ]);
  });

  it('groups the digits of large counts the way each language writes them', () => {
    expect(render(serverTexts.summary, 'pt', { peers: 10_000, files: 1_000_000 })).toBe('10.000 peers online, 1.000.000 arquivos');
    expect(render(serverTexts.summary, 'en', { peers: 1, files: 1_000_000 })).toBe('1 peer online, 1,000,000 files');
  });

  it('takes bigint counts like numbers', () => {
    expect(render(cliTexts.disconnected, 'en', { peer: '127.0.0.2', files: 1n })).toBe('Peer 127.0.0.2 disconnected (1 file removed)');
  });

  it('leaves an unknown placeholder of a plain text as it is', () => {
    expect(render({ pt: 'Peer {peer} saiu', en: 'Peer {peer} left' }, 'en', {})).toBe('Peer {peer} left');
  });
});
