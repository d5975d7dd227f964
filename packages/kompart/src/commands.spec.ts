import { parseCommand } from './commands';

const parse = (line: string) => parseCommand(line, '/home/ana');

describe('parseCommand', () => {
  it.each([
    ['register peer', { name: 'register-peer' }],
    ['  REGISTER    Peer  ', { name: 'register-peer' }],
    ['list files', { name: 'list-files' }],
    ['List\tFiles', { name: 'list-files' }],
    ['disconnect', { name: 'disconnect' }],
    ['HELP', { name: 'help' }],
    ['?', { name: 'help' }],
    ['exit', { name: 'exit' }],
    ['quit', { name: 'exit' }],
    ['menu', { name: 'menu' }],
    ['register file /tmp/a b.txt', { name: 'register-file', path: '/tmp/a b.txt' }],
    ['Register   FILE   "/tmp/with  spaces.txt" ', { name: 'register-file', path: '/tmp/with  spaces.txt' }],
    ['register file ~/music', { name: 'register-file', path: '/home/ana/music' }],
    ['register file docs/x.md', { name: 'register-file', path: 'docs/x.md' }],
    ['get file 127.0.0.2/song.mp3', { name: 'get-file', ref: '127.0.0.2/song.mp3' }],
    ['GET  File   127.0.0.2 /  song.mp3', { name: 'get-file', ref: '127.0.0.2/song.mp3' }],
    ['get file 127.0.0.2//home/x/a.txt', { name: 'get-file', ref: '127.0.0.2//home/x/a.txt' }],
    ['get file 127.0.0.2:6000/3a7bd3e2', { name: 'get-file', ref: '127.0.0.2:6000/3a7bd3e2' }],
  ])('reads %j', (line, command) => {
    expect(parse(line)).toEqual({ ok: true, command });
  });

  it.each(['', '   ', '# a comment'])('ignores %j', (line) => {
    expect(parse(line)).toEqual({ ok: true, command: undefined });
  });

  it.each([
    ['register file', 'register-file'],
    ['register file   ', 'register-file'],
    ['get file', 'get-file'],
    ['get file song.mp3', 'get-file'],
    ['get file /song.mp3', 'get-file'],
    ['get file 127.0.0.2/', 'get-file'],
  ])('explains the usage of %j', (line, command) => {
    expect(parse(line)).toEqual({ ok: false, error: 'usage', command });
  });

  it.each(['register', 'register peers', 'list', 'list files now', 'hello', 'exit now', 'disconnect me'])('rejects %j', (line) => {
    expect(parse(line)).toEqual({ ok: false, error: 'unknown', input: line.trim() });
  });
});
