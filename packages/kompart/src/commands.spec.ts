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
    ['get file 127.0.0.2/song.mp3', { name: 'get-file', refs: ['127.0.0.2/song.mp3'] }],
    ['GET  File   127.0.0.2 /  song.mp3', { name: 'get-file', refs: ['127.0.0.2/song.mp3'] }],
    ['get file 127.0.0.2//home/x/a.txt', { name: 'get-file', refs: ['127.0.0.2//home/x/a.txt'] }],
    ['get file 127.0.0.2:6000/3a7bd3e2', { name: 'get-file', refs: ['127.0.0.2:6000/3a7bd3e2'] }],
    ['get file 3a7bd3e2', { name: 'get-file', refs: ['3a7bd3e2'] }],
    ['get file 3a7bd3e2 127.0.0.2/a.txt', { name: 'get-file', refs: ['3a7bd3e2', '127.0.0.2/a.txt'] }],
    // Quotes work in every argument, as in a shell.
    ['get file 127.0.0.2/"a  b.txt"', { name: 'get-file', refs: ['127.0.0.2/a  b.txt'] }],
    ["get file '127.0.0.2/it''s.txt'", { name: 'get-file', refs: ['127.0.0.2/its.txt'] }],
    ['get file 127.0.0.2/a b.txt', { name: 'get-file', refs: ['127.0.0.2/a b.txt'] }],
    ['register file "my dir"/x.md', { name: 'register-file', path: 'my dir/x.md' }],
    ['register file it"s', { name: 'register-file', path: 'it"s' }],
    // Several references: each word starting with <IP>/ begins one.
    ['get file 127.0.0.2/a.txt 127.0.0.3:6000/b c.txt [::1]:7000/d', { name: 'get-file', refs: ['127.0.0.2/a.txt', '127.0.0.3:6000/b c.txt', '[::1]:7000/d'] }],
    ['get file 127.0.0.2/x "127.0.0.3/not a ref"', { name: 'get-file', refs: ['127.0.0.2/x 127.0.0.3/not a ref'] }],
    ['unregister file ~/music/a.mp3', { name: 'unregister-file', path: '/home/ana/music/a.mp3' }],
    // list files narrows by holder, hash prefix or name.
    ['list files 127.0.0.2', { name: 'list-files', filter: { kind: 'holder', value: '127.0.0.2' } }],
    ['list files 127.0.0.2:6000', { name: 'list-files', filter: { kind: 'holder', value: '127.0.0.2:6000' } }],
    ['list files [::1]:6000', { name: 'list-files', filter: { kind: 'holder', value: '[::1]:6000' } }],
    ['list files 3A7BD3E2', { name: 'list-files', filter: { kind: 'hash', value: '3a7bd3e2' } }],
    ['list files cafe', { name: 'list-files', filter: { kind: 'name', value: 'cafe' } }],
    ['list files "song 1"', { name: 'list-files', filter: { kind: 'name', value: 'song 1' } }],
    ['list files now', { name: 'list-files', filter: { kind: 'name', value: 'now' } }],
  ])('reads %j', (line, command) => {
    expect(parse(line)).toEqual({ ok: true, command });
  });

  it.each(['', '   ', '# a comment'])('ignores %j', (line) => {
    expect(parse(line)).toEqual({ ok: true, command: undefined });
  });

  it.each([
    ['register', 'register'],
    ['register file', 'register-file'],
    ['register file   ', 'register-file'],
    ['unregister', 'unregister-file'],
    ['unregister file ""', 'unregister-file'],
    ['list', 'list-files'],
    ['get', 'get-file'],
    ['get file', 'get-file'],
    ['get file song.mp3', 'get-file'],
    ['get file /song.mp3', 'get-file'],
    ['get file 127.0.0.2/', 'get-file'],
    ['get file 127.0.0.2/a 127.0.0.3/', 'get-file'],
    ['get file localhost/a.txt', 'get-file'],
    ['get file 999.1.1.1/a.txt', 'get-file'],
    ['get file 127.0.0.2:99999/a.txt', 'get-file'],
  ])('explains the usage of %j', (line, topic) => {
    expect(parse(line)).toEqual({ ok: false, error: 'usage', topic });
  });

  it.each(['xyzzy', 'exit now', 'disconnect me', 'get peer x'])('rejects %j', (line) => {
    expect(parse(line)).toEqual({ ok: false, error: 'unknown', input: line.trim() });
  });

  it.each([
    ['lsit files', 'list files'],
    ['list fils', 'list files'],
    ['regster peer', 'register peer'],
    ['get fiel 127.0.0.2/a', 'get file'],
    ['disconect', 'disconnect'],
    ['exti', 'exit'],
    ['register peers', 'register peer'],
    ['hello', 'help'],
  ])('suggests the closest command for %j', (line, suggestion) => {
    expect(parse(line)).toEqual({ ok: false, error: 'unknown', input: line, suggestion });
  });
});
