import fc from 'fast-check';
import { ListFilesResponse, type SharedFile } from '@kompart/protocol';
import { encodeListFilesResponse, serializeListFilesResponse, withEncodedFiles } from './list-files-encoding.js';

/** The generated encoder's bytes: the reference the fast encoder must match exactly. */
const reference = (message: ListFilesResponse): Buffer => Buffer.from(ListFilesResponse.encode(message).finish());

const entry = (overrides: Partial<SharedFile> = {}): SharedFile => ({
  peer: '127.0.0.2',
  path: '/srv/share/a.txt',
  name: 'a.txt',
  sha256: 'ab'.repeat(32),
  size: 1234,
  ...overrides,
});

const expectSameBytes = (message: ListFilesResponse): void => {
  const fast = encodeListFilesResponse(message);
  expect(fast.toString('hex')).toBe(reference(message).toString('hex'));
  expect(ListFilesResponse.decode(fast)).toEqual(ListFilesResponse.decode(reference(message)));
};

describe('ListFilesResponse fast encoder', () => {
  it('writes the generated encoder bytes for an ordinary page, which the generated decoder reads back', () => {
    const message = { files: [entry(), entry({ path: '/srv/share/b.txt', name: 'b.txt', size: 0 })], nextPageToken: 'p1.2s' };
    expectSameBytes(message);
    expect(ListFilesResponse.decode(encodeListFilesResponse(message))).toEqual(message);
  });

  it('handles an empty page, an empty token and empty fields', () => {
    expectSameBytes({ files: [], nextPageToken: '' });
    expectSameBytes({ files: [], nextPageToken: 'p1.1' });
    expectSameBytes({ files: [entry({ peer: '', path: '', name: '', sha256: '', size: 0 })], nextPageToken: '' });
  });

  it.each([
    ['accented Latin (2-byte UTF-8)', '/música/canção ñ.mp3', 'canção ñ.mp3'],
    ['Latin-1 only (one-byte V8 string, not ASCII)', '/caf\u00e9/\u00ff.txt', '\u00ff.txt'],
    ['CJK (3-byte UTF-8)', '/共有/ファイル名.txt', 'ファイル名.txt'],
    ['emoji (surrogate pairs, 4-byte UTF-8)', '/🎵/🎶 song 🎸.flac', '🎶 song 🎸.flac'],
    ['a lone surrogate (U+FFFD, as TextEncoder writes)', '/bad/\ud800x.txt', '\ud800x.txt'],
  ])('writes the same bytes for non-ASCII names: %s', (_what, path, name) => {
    const message = { files: [entry({ path, name }), entry()], nextPageToken: 'p1.z' };
    expectSameBytes(message);
    expect(ListFilesResponse.decode(encodeListFilesResponse(message)).files[0]).toEqual(
      expect.objectContaining({ path: path.replace('\ud800', '\ufffd'), name: name.replace('\ud800', '\ufffd') }),
    );
  });

  it('moves bytes when a length needs a longer varint than ASCII text suggested', () => {
    // 42 three-byte characters: 42 code units (1-byte length guess) but 126 bytes, and with
    // the other fields the entry crosses 127 bytes only once encoded as UTF-8.
    const name = '語'.repeat(42);
    expectSameBytes({ files: [entry({ path: `/${name}`, name })], nextPageToken: '' });
    const long = 'é'.repeat(70);
    expectSameBytes({ files: [entry({ path: `/${long}`, name: long })], nextPageToken: 'p1.9' });
  });

  it('writes long paths (multi-byte length varints) and every size up to 2^53-1', () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 35 + 7, Number.MAX_SAFE_INTEGER]) {
      expectSameBytes({ files: [entry({ size })], nextPageToken: '' });
    }
    const path = `/${'d/'.repeat(5000)}f`;
    expectSameBytes({ files: [entry({ path, name: 'f' }), entry({ path: `/${'ü'.repeat(9000)}`, name: 'ü'.repeat(9000) })], nextPageToken: 'p1.x' });
  });

  it('leaves sizes it was not written for to the generated encoder, bytes and errors alike', () => {
    const huge = { files: [entry(), entry({ size: 2 ** 60 })], nextPageToken: '' };
    expect(encodeListFilesResponse(huge).equals(reference(huge))).toBe(true);
    const bad = { files: [entry({ size: 1.5 })], nextPageToken: '' };
    expect(() => reference(bad)).toThrow(RangeError);
    expect(() => encodeListFilesResponse(bad)).toThrow(RangeError);
  });

  it('matches the generated encoder on arbitrary pages', () => {
    const text = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 200 }));
    const file = fc.record({ peer: text, path: text, name: text, sha256: text, size: fc.maxSafeNat() });
    fc.assert(
      fc.property(fc.array(file, { maxLength: 30 }), text, (files, nextPageToken) => {
        const message = { files, nextPageToken };
        expect(encodeListFilesResponse(message).equals(reference(message))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('copies pre-encoded entries and appends the token; the serializer reuses its buffer from page to page', () => {
    const files = [entry(), entry({ path: '/srv/share/ü.txt', name: 'ü.txt' })];
    const views = files.map((file) => encodeListFilesResponse({ files: [file], nextPageToken: '' }));
    const message = withEncodedFiles({ files, nextPageToken: 'p1.9' }, views);
    const expected = reference({ files, nextPageToken: 'p1.9' });
    expect(encodeListFilesResponse(message).equals(expected)).toBe(true);
    const first = serializeListFilesResponse(message);
    expect(first.equals(expected)).toBe(true);
    const second = serializeListFilesResponse(withEncodedFiles({ files: files.slice(1), nextPageToken: '' }, views.slice(1)));
    expect(second.equals(reference({ files: files.slice(1), nextPageToken: '' }))).toBe(true);
    expect(second.buffer).toBe(first.buffer);
    // Without pre-encoded entries it is the plain encoder.
    expect(serializeListFilesResponse({ files, nextPageToken: '' }).equals(reference({ files, nextPageToken: '' }))).toBe(true);
  });
});
