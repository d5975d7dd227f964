/**
 * A peer in a process of its own, for the fault tests: started from the compiled library
 * (`npm run build`), it registers, shares what it is told, and reports on standard output
 * as JSON lines: `{"event":"ready",…}` once it shares its files, then every peer event.
 * It runs until killed.
 *
 *   node -r ts-node/register/transpile-only test/faults/peer-child.ts '<json PeerChildConfig>'
 */
import { describeError } from '@kompart/core';
import { createPeer, type PeerEvent } from '@kompart/peer';

/** What the parent tells the child. */
export interface PeerChildConfig {
  readonly registry: string;
  /** `host:port` (port 0: any free one; the identity then carries it). */
  readonly address: string;
  readonly downloadsDir: string;
  readonly cacheDir: string;
  /** Files or folders to register once registered. */
  readonly share: readonly string[];
}

/** One line the child prints. */
export type PeerChildLine =
  | { readonly event: 'ready'; readonly id: string; readonly files: number; readonly pid: number }
  | { readonly event: 'failed'; readonly message: string }
  | (Omit<PeerEvent, 'type'> & { readonly event: Exclude<PeerEvent['type'], 'heartbeat'> });

function print(line: PeerChildLine): void {
  process.stdout.write(`${JSON.stringify(line, (_key, value: unknown) => (value instanceof Error ? describeError(value, 'en') : value))}\n`);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as PeerChildConfig;
  const peer = createPeer({
    registry: config.registry,
    address: config.address,
    downloadsDir: config.downloadsDir,
    cacheDir: config.cacheDir,
    backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
    callTimeoutMs: 3000,
  });
  peer.events.onAny((event) => {
    if (event.type === 'heartbeat') return;
    const { type, ...rest } = event;
    print({ event: type, ...rest } as PeerChildLine);
  });
  await peer.start();
  await peer.registerPeer();
  let files = 0;
  for (const path of config.share) files += (await peer.registerPath(path)).registered.length;
  print({ event: 'ready', id: peer.id, files, pid: process.pid });
}

main().catch((error: unknown) => {
  print({ event: 'failed', message: describeError(error, 'en') });
  process.exitCode = 1;
});
