import { reasonTexts, sharedTexts } from './contract-texts.js';
import { render } from './messages.js';
import { hasTemplateLeft, renderedCatalogue } from './testing/index.js';

describe('message engine', () => {
  it.each([...renderedCatalogue('reasonTexts', reasonTexts), ...renderedCatalogue('sharedTexts', sharedTexts)])(
    '%s renders with every placeholder filled, leaving no braces behind',
    (_name, line) => expect(hasTemplateLeft(line)).toBe(false),
  );

  const disconnected = {
    pt: 'Peer {peer} desconectado ({files, plural, =0 {0 arquivos removidos} one {# arquivo removido} other {# arquivos removidos}})',
    en: 'Peer {peer} disconnected ({files, plural, one {# file removed} other {# files removed}})',
  };
  const summary = {
    pt: '{peers, plural, =0 {0 peers online} one {# peer online} other {# peers online}}, {files, plural, =0 {0 arquivos} one {# arquivo} other {# arquivos}}',
    en: '{peers, plural, one {# peer online} other {# peers online}}, {files, plural, one {# file} other {# files}}',
  };

  it('says one file, and 0 or many files, in both languages', () => {
    const line = (lang: 'pt' | 'en', files: number) => render(disconnected, lang, { peer: '127.0.0.2', files });
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
    expect(render(summary, 'pt', { peers: 10_000, files: 1_000_000 })).toBe('10.000 peers online, 1.000.000 arquivos');
    expect(render(summary, 'en', { peers: 1, files: 1_000_000 })).toBe('1 peer online, 1,000,000 files');
  });

  it('takes bigint counts like numbers', () => {
    expect(render(disconnected, 'en', { peer: '127.0.0.2', files: 1n })).toBe('Peer 127.0.0.2 disconnected (1 file removed)');
  });

  it('leaves an unknown placeholder of a plain text as it is', () => {
    expect(render({ pt: 'Peer {peer} saiu', en: 'Peer {peer} left' }, 'en', {})).toBe('Peer {peer} left');
  });
});
