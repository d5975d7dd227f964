/**
 * `kompart <server ip> s` as an operator runs it: readable log lines in the chosen
 * language, the periodic summary, a clean stop on SIGTERM/SIGINT, JSON logs, and one
 * clear line with exit code 3 when the address is taken.
 */
import { render } from '@kompart/core';
import { grpcTexts } from '@kompart/grpc';
import { serverTexts } from '@kompart/registry-server';
import { cliTexts } from '../src/texts';
import { Program, addressOn, freePort, stopAll } from '../../../test/support/program';

const TIME = '\\d\\d:\\d\\d:\\d\\d';

afterEach(stopAll);

describe('kompart <server ip> s', () => {
  it('logs readable lines, a periodic summary, peers that come and go, and stops cleanly on SIGTERM', async () => {
    const server = await addressOn('127.0.79.1', 50051);
    const registry = new Program([server.arg, 's', '--summary-interval', '150', '--heartbeat-interval', '200']);
    await registry.waitFor(new RegExp(`^${TIME} INFO Servidor de registro ouvindo em ${server.arg.includes(':') ? server.arg : `${server.arg}:50051`}$`));
    await registry.waitFor(new RegExp(`^${TIME} INFO 0 peers online, 0 arquivos$`));

    const peerPort = await freePort('127.0.79.2');
    const peer = new Program([server.arg, 'p', `127.0.79.2:${peerPort}`, '--no-cache-dir']);
    await peer.run('register peer', `Peer 127.0.79.2:${peerPort} registrado`);
    await registry.waitFor(new RegExp(`^${TIME} INFO Peer 127\\.0\\.79\\.2:${peerPort} registrado$`));
    await registry.waitFor(new RegExp(`^${TIME} INFO 1 peer online, 0 arquivos$`));
    peer.send('exit');
    expect((await peer.exit()).code).toBe(0);
    await registry.waitFor(new RegExp(`^${TIME} INFO Peer 127\\.0\\.79\\.2:${peerPort} desconectado \\(0 arquivos removidos\\)$`));

    registry.signal('SIGTERM');
    expect(await registry.exit()).toEqual({ code: 0, signal: null });
    const tail = registry.out.slice(-3).map((line) => line.replace(/^\d\d:\d\d:\d\d /, ''));
    expect(tail).toEqual([
      `INFO ${render(cliTexts.signalReceived, 'pt', { signal: 'SIGTERM' })}`,
      `INFO ${render(serverTexts.shuttingDown, 'pt', { peers: 0 })}`,
      `INFO ${render(serverTexts.stopped, 'pt')}`,
    ]);
    expect(registry.err).toEqual([]);
  });

  it('writes JSON log lines with --json, in English with --lang en, and stops on SIGINT', async () => {
    const port = await freePort('127.0.79.1');
    const registry = new Program([`127.0.79.1:${port}`, 's', '--json', '--lang', 'en']);
    const line = await registry.waitFor(/"msg":"Registry listening on/);
    expect(JSON.parse(line)).toMatchObject({ level: 'info', msg: `Registry listening on 127.0.79.1:${port}`, address: `127.0.79.1:${port}` });
    registry.signal('SIGINT');
    expect((await registry.exit()).code).toBe(0);
    expect(registry.out.map((text) => (JSON.parse(text) as { msg: string }).msg).slice(-3)).toEqual([
      'Signal SIGINT received: shutting down',
      'Shutting down the registry: telling 0 peers',
      'Registry stopped',
    ]);
  });

  it('says in one line that the address is in use and exits with code 3', async () => {
    const port = await freePort('127.0.79.1');
    const first = new Program([`127.0.79.1:${port}`, 's']);
    await first.waitFor(/ouvindo em/);
    const second = new Program([`127.0.79.1:${port}`, 's']);
    expect((await second.exit()).code).toBe(3);
    expect(second.err).toEqual([render(grpcTexts.addressInUse, 'pt', { address: `127.0.79.1:${port}` })]);
    expect(second.out).toEqual([]);

    const english = new Program([`127.0.79.1:${port}`, 's'], { env: { ...process.env, KOMPART_LANG: 'en' } });
    expect((await english.exit()).code).toBe(3);
    expect(english.err).toEqual([`Address 127.0.79.1:${port} is already in use: another server is listening on it`]);
  });
});
