/**
 * `npm run demo`: a registry on 127.0.0.1 and three peers on 127.0.0.2, .3 and .4, all
 * real `kompart` processes, driven through a scripted session whose transcript is printed
 * as it happens. Needs no root: every 127.x address is local on Linux.
 *
 * The registry serves its live view (--web) on KOMPART_DEMO_WEB (default 127.0.0.1:8080);
 * open the address the demo prints to watch the overlay change. On a terminal the demo
 * pauses KOMPART_DEMO_STEP_MS between steps (default 2000; 0 when not a terminal) so that
 * the page can be followed.
 *
 * KOMPART_DEMO_PORTS=51051,51052 moves the registry and the peers off the default ports.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reasonTexts, render, sharedTexts, type Params, type Text } from '@kompart/core';
import { cliTexts } from '@kompart/kompart';
import { Program, cleanEnv } from '../test/support/program';

const [registryPort, peerPort] = (process.env['KOMPART_DEMO_PORTS'] ?? '50051,50052').split(',').map(Number) as [number, number];
const REGISTRY = `127.0.0.1:${registryPort}`;
const peerAddress = (n: number): string => (peerPort === 50052 ? `127.0.0.${n}` : `127.0.0.${n}:${peerPort}`);
const WEB = process.env['KOMPART_DEMO_WEB'] ?? '127.0.0.1:8080';
const STEP_MS = Number(process.env['KOMPART_DEMO_STEP_MS'] ?? (process.stdout.isTTY ? 2000 : 0));
const pt = (text: Text, params?: Params): string => render(text, 'pt', params);
const demoData = join(__dirname, '..', 'demo');
const colour = process.stdout.isTTY && !process.env['NO_COLOR'];
const paint = (code: number, text: string): string => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);

async function say(text: string): Promise<void> {
  // A pause for whoever watches the live view (a demo, not a test: nothing waits on it).
  if (STEP_MS > 0) await new Promise((resolve) => setTimeout(resolve, STEP_MS));
  console.log(`\n${paint(1, `== ${text}`)}`);
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'kompart-demo-'));
  const processes: Program[] = [];
  const start = (label: string, args: string[], tint: number): Program => {
    const started = new Program(args, { label, cwd: work, env: cleanEnv(), onLine: (line) => console.log(`${paint(tint, `[${label}]`)} ${line}`) });
    processes.push(started);
    return started;
  };
  const peer = (n: number, share?: string): Program =>
    start(
      peerAddress(n),
      [
        REGISTRY,
        'p',
        peerAddress(n),
        '--no-menu',
        '--downloads',
        join(work, `peer${n}`, 'downloads'),
        '--cache-dir',
        join(work, `peer${n}`, 'cache'),
        ...(share ? ['--share', share] : []),
      ],
      30 + n,
    );
  const type = (who: Program, label: string, command: string, answer: RegExp | string): Promise<string[]> => {
    console.log(`${paint(1, `[${label}] > ${command}`)}`);
    return who.run(command, answer);
  };

  try {
    cpSync(join(demoData, 'peer1'), join(work, 'share-a'), { recursive: true });
    cpSync(join(demoData, 'peer2'), join(work, 'share-b'), { recursive: true });

    console.log(`\n${paint(1, `== Registry on ${REGISTRY}`)}`);
    const registry = start('registry', [REGISTRY, 's', '--summary-interval', '0', '--web', WEB], 90);
    await registry.waitFor(new RegExp(REGISTRY.replace(/\./g, '\\.')));
    await registry.waitFor(/Página ao vivo da rede em /);
    console.log(paint(1, `== Live view of the overlay: http://${WEB}/ (open it in a browser)`));

    await say(`Peers ${peerAddress(2)} and ${peerAddress(3)} register and share a folder each`);
    const alice = peer(2, join(work, 'share-a'));
    const bob = peer(3, join(work, 'share-b'));
    await alice.waitFor(/^Pasta .*: \d+ arquivos registrados/);
    await bob.waitFor(/^Pasta .*: \d+ arquivos registrados/);

    const me = peerAddress(4);
    await say(`Peer ${me} joins, lists and downloads`);
    const carol = peer(4);
    await type(carol, me, 'register peer', pt(cliTexts.peerRegistered, { peer: me }));
    await type(carol, me, 'register peer', pt(reasonTexts.PEER_ALREADY_REGISTERED, { peer: me }));
    const listed = carol.mark();
    await type(carol, me, 'list files', /relatorio\.txt/);
    await carol.waitFor(/ \/ hello\.txt \//, { from: listed });
    await type(carol, me, `get file ${peerAddress(2)}/hello.txt`, /^Arquivo hello\.txt salvo em/);
    const report = readFileSync(join(demoData, 'peer2', 'relatorio.txt'));
    const prefix = createHash('sha256').update(report).digest('hex').slice(0, 12);
    await type(carol, me, `get file ${peerAddress(3)}/${prefix}`, /^Arquivo relatorio\.txt salvo em/);
    await type(carol, me, `get file ${peerAddress(2)}/nada.txt`, pt(reasonTexts.FILE_UNAVAILABLE));

    await say(`Peer ${peerAddress(3)} leaves; the others are told at once`);
    const beforeExit = carol.mark();
    await type(bob, peerAddress(3), 'exit', new RegExp(`^Peer ${peerAddress(3).replace(/\./g, '\\.')} desconectado`));
    await carol.waitFor(pt(cliTexts.eventPeerLeft, { peer: peerAddress(3) }), { from: beforeExit });
    await type(carol, me, `get file ${peerAddress(3)}/numeros.txt`, pt(reasonTexts.PEER_OFFLINE, { peer: peerAddress(3) }));

    await say(`Peer ${me} disconnects`);
    await type(carol, me, 'disconnect', new RegExp(`^Peer ${me.replace(/\./g, '\\.')} desconectado`));
    await type(carol, me, 'list files', pt(reasonTexts.PEER_NOT_REGISTERED, { peer: me }));
    await type(carol, me, 'disconnect', pt(sharedTexts.disconnectNotRegistered));
    await say(`Downloads are in ${join(work, 'peer4', 'downloads')} (removed when the demo ends)`);
    return 0;
  } catch (error) {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    // Peers first, so that they disconnect from a registry that is still there.
    await Promise.all(processes.slice(1).map((p) => p.stop()));
    await processes[0]?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
