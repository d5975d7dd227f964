import { MAX_SAFE_NAME_BYTES, numberedName, partFileName, safeFileName } from './safe-file-name';

describe('safeFileName', () => {
  it.each([
    ['song.mp3', 'song.mp3'],
    ['/etc/passwd', 'passwd'],
    ['../../.ssh/authorized_keys', 'authorized_keys'],
    ['..\\..\\windows\\system.ini', 'system.ini'],
    ['..', 'download'],
    ['.', 'download'],
    ['...', 'download'],
    ['.bashrc', 'bashrc'],
    ['a/b/', 'b'],
    ['bad\u0000name\n.txt', 'badname.txt'],
    ['evil\u202egnp.exe', 'evilgnp.exe'],
    ['  spaced  ', 'spaced'],
    ['', 'download'],
    ['song.mp3.0123456789abcdef.part', 'song.mp3.0123456789abcdef_part'],
    ['x.0123456789ABCDEF.PART', 'x.0123456789ABCDEF_part'],
    ['notes.part', 'notes.part'],
  ])('%j -> %j', (raw, expected) => {
    expect(safeFileName(raw)).toBe(expected);
  });

  it('bounds the length in bytes and keeps a short extension', () => {
    const name = safeFileName(`${'é'.repeat(300)}.flac`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_SAFE_NAME_BYTES);
    expect(name.endsWith('.flac')).toBe(true);
    expect(name).not.toContain('\ufffd');
  });

  it('never yields a part-file name, even once cut to length', () => {
    const name = safeFileName(`${'a'.repeat(178)}.0123456789abcdef.${'z'.repeat(40)}.part`);
    expect(name).not.toMatch(/\.[0-9a-f]{16}\.part$/i);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_SAFE_NAME_BYTES);
  });

  it('numbers alternatives before the extension', () => {
    expect(numberedName('song.mp3', 0)).toBe('song.mp3');
    expect(numberedName('song.mp3', 2)).toBe('song (2).mp3');
    expect(numberedName('README', 1)).toBe('README (1)');
  });

  it('ties the part file to the hash', () => {
    expect(partFileName('a.txt', 'ABCDEF0123456789'.repeat(4))).toBe('a.txt.abcdef0123456789.part');
  });
});
