/**
 * The command line as a user meets it: `kompart --help`, wrong invocations, language
 * selection. Runs the built program; no server is started.
 */
import { render } from '@kompart/core';
import { cliTexts } from '../src/texts';
import { Program, cleanEnv } from '../../../test/support/program';

async function kompart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string[]; err: string[] }> {
  const program = new Program(args, { env: cleanEnv(env) });
  program.end();
  const { code } = await program.exit();
  return { code, out: program.out, err: program.err };
}

describe('kompart command line', () => {
  it('--help shows the seed syntax first, every option with its variable, the commands and exit codes', async () => {
    const { code, out } = await kompart(['--help'], { LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' });
    expect(code).toBe(0);
    expect(out[2]).toBe('Uso:');
    expect(out[3]).toMatch(/^ {2}kompart <ip do servidor> s +servidor de registro em <ip do servidor>:50051$/);
    expect(out[4]).toMatch(/^ {2}kompart <ip do servidor> p <ip do host> +peer: servidor em <ip do servidor>:50051,$/);
    const text = out.join('\n');
    for (const option of [
      '--downloads',
      '--share',
      '--lang',
      '--heartbeat-interval',
      '--heartbeat-misses',
      '--log-level',
      '--json',
      '--menu',
      '--cache-dir',
      '--max-files-per-peer',
      '--listen',
      '--keep-running',
    ]) {
      expect(text).toContain(option);
    }
    for (const variable of ['KOMPART_LANG', 'KOMPART_DOWNLOADS', 'KOMPART_SHARE', 'KOMPART_JSON', 'KOMPART_MENU', 'KOMPART_LOG_LEVEL'])
      expect(text).toContain(variable);
    for (const command of ['register peer', 'register file <caminho>', 'list files', 'get file <IP>/<nome ou hash>', 'disconnect', 'help', 'exit']) {
      expect(text).toContain(command);
    }
    expect(text).toContain('Códigos de saída');
  });

  it('--help in English with --lang en or KOMPART_LANG=en', async () => {
    const flag = await kompart(['--help', '--lang', 'en']);
    expect(flag.out[2]).toBe('Usage:');
    expect(flag.out[3]).toMatch(/^ {2}kompart <server ip> s +registry server on <server ip>:50051$/);
    const env = await kompart(['-h'], { KOMPART_LANG: 'en' });
    expect(env.out).toEqual(flag.out);
  });

  it.each([
    [[], 'Faltam argumentos: informe o IP do servidor e o modo (s ou p)'],
    [['127.0.0.1'], 'Faltam argumentos: informe o IP do servidor e o modo (s ou p)'],
    [['127.0.0.1', 'x'], 'Modo desconhecido "x": use s (servidor) ou p (peer)'],
    [['127.0.0.1', 'p'], 'O modo peer precisa do IP do host: kompart <ip do servidor> p <ip do host>'],
    [['127.0.0.1', 's', '127.0.0.2'], 'O modo servidor não aceita o argumento "127.0.0.2"'],
    [['300.1.1.1', 's'], 'Endereço inválido "300.1.1.1": use ip ou ip:porta'],
    [['127.0.0.1:99999', 's'], 'Endereço inválido "127.0.0.1:99999": use ip ou ip:porta'],
    [['127.0.0.1', 's', '--bogus'], 'Opção desconhecida: --bogus'],
    [['127.0.0.1', 's', '--heartbeat-interval', 'soon'], 'Valor inválido para --heartbeat-interval: "soon" (um número inteiro >= 10)'],
    [['127.0.0.1', 'p', '127.0.0.2', '--downloads'], 'A opção --downloads precisa de um valor'],
    [['127.0.0.1', 'p', '127.0.0.2', 'extra'], 'Argumentos demais'],
    [['127.0.0.1', 's', '--lang', 'fr'], 'Idioma inválido "fr": use pt ou en'],
    [['127.0.0.1', 's', '--log-level', 'loud'], 'Nível de log inválido "loud": use debug, info, warn, error, silent'],
    [['127.0.0.1', 'p', '127.0.0.2', '--chunk-bytes', '0'], 'Valor inválido para --chunk-bytes: "0" (um número inteiro de 1 a 1048576)'],
  ])('kompart %j is a usage error: one line, then the usage, exit code 2', async (args, message) => {
    const { code, out, err } = await kompart(args);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toBe(message);
    expect(err[1]).toBe('');
    expect(err[2]).toBe('Uso:');
    expect(err[3]).toMatch(/kompart <ip do servidor> s/);
    expect(err.join('\n')).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('usage errors follow the chosen language; the system locale never changes it', async () => {
    const english = await kompart(['127.0.0.1', 'x', '--lang=en'], { LANG: 'pt_BR.UTF-8' });
    expect(english.err.slice(0, 3)).toEqual(['Unknown mode "x": use s (server) or p (peer)', '', 'Usage:']);
    const locale = await kompart(['127.0.0.1', 'x'], { LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8', LANGUAGE: 'en' });
    expect(locale.err[0]).toBe(render(cliTexts.usageBadMode, 'pt', { mode: 'x' }));
  });

  it('environment variables are validated like options', async () => {
    const { code, err } = await kompart(['127.0.0.1', 'p', '127.0.0.2'], { KOMPART_HEARTBEAT_INTERVAL: '-5', KOMPART_LANG: 'en' });
    expect(code).toBe(2);
    expect(err[0]).toBe('Invalid value for --heartbeat-interval: "-5" (an integer >= 10)');
    const bool = await kompart(['127.0.0.1', 'p', '127.0.0.2'], { KOMPART_MENU: 'maybe' });
    expect(bool.err[0]).toBe('Valor inválido em KOMPART_MENU: "maybe" (use 1 ou 0, true ou false)');
  });

  it('--version', async () => {
    const { code, out } = await kompart(['--version']);
    expect(code).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^kompart \d+\.\d+\.\d+$/)]);
  });
});
