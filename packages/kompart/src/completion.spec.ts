import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { complete } from './completion';

describe('complete', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kompart-complete-'));
    mkdirSync(join(dir, 'music'));
    writeFileSync(join(dir, 'music', 'song.mp3'), 'x');
    writeFileSync(join(dir, 'notes.txt'), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const files = () => [{ peer: '127.0.0.3', name: 'song.mp3', path: '/m/song.mp3', sha256: 'ab'.repeat(32), size: 1 }];
  const context = () => ({ cwd: dir, menu: false, files, home: dir });

  it('completes command words', () => {
    expect(complete('reg', context())).toEqual([['register peer', 'register file '], 'reg']);
    expect(complete('LIST', context())).toEqual([['list files'], 'LIST']);
    expect(complete('me', { ...context(), menu: true })).toEqual([['menu'], 'me']);
  });

  it('completes paths after register file', () => {
    expect(complete('register file mu', context())[0]).toEqual(['register file music/']);
    expect(complete('register file music/s', context())[0]).toEqual(['register file music/song.mp3']);
    expect(complete('register file ~/no', context())[0]).toEqual(['register file ~/notes.txt']);
  });

  it('completes remote files after get file', () => {
    expect(complete('get file 127.0.0.3/s', context())[0]).toEqual(['get file 127.0.0.3/song.mp3']);
  });
});
