import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A FileService sharing one file, in a process of its own (the built package's modules, dist/). */
export interface HolderProcess {
  /** `host:port` of its FileService. */
  readonly target: string;
  stop(): Promise<void>;
}

const HOLDER_SCRIPT = `
const { join } = require('node:path');
const library = require(join(process.argv[1], 'local-library.js'));
const { createHashCache } = require(join(process.argv[1], 'hash-cache.js'));
const { createFileService, startFileServer } = require(join(process.argv[1], 'transfer', 'file-service.js'));
(async () => {
  const files = new library.SharedFiles();
  files.add(await library.hashLocalFile(process.argv[2], createHashCache()));
  const server = await startFileServer(process.argv[3] + ':0', createFileService({ files, self: () => process.argv[3] }));
  process.stdout.write(server.target + '\\n');
  process.stdin.on('end', () => void server.close(100).then(() => process.exit(0)));
  process.stdin.resume();
})();
`;

/**
 * Starts a holder of `path` on `host` in a child process, so that it sends while the test's
 * own event loop is busy (in one process, sending and receiving take turns). Ends when its
 * standard input closes.
 */
export async function startHolderProcess(path: string, host: string): Promise<HolderProcess> {
  const child = spawn(process.execPath, ['-e', HOLDER_SCRIPT, join(__dirname, '..', '..', 'dist'), path, host], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [target] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(() => Promise.reject(new Error('holder process exited before listening'))),
  ])) as [string];
  return {
    target,
    async stop() {
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}
