/**
 * Interoperability of the data path: Python's grpcio (Debian), which shares no code with
 * kompart and knows FileService only from the descriptor set the build writes, downloads
 * a file from a real FileService (the one peers serve, at the launcher's chunk size) and
 * gets the header and every byte right. The downloader reads Download's gRPC frames from
 * HTTP/2 itself (grpc-download-source.ts); this proves the holder is still a standard
 * server-streaming service. `.ci/run` installs python3-grpcio.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHashCache } from '../../packages/peer/src/hash-cache';
import { hashLocalFile, SharedFiles } from '../../packages/peer/src/local-library';
import { createFileService, startFileServer, type FileServer } from '../../packages/peer/src/transfer/file-service';

const PYTHON = '/usr/bin/python3';
const PROBE = join(__dirname, 'download_probe.py');
const DESCRIPTORS = join(__dirname, '../../packages/protocol/descriptors/kompart.binpb');

const available = existsSync(PYTHON) && existsSync('/usr/lib/python3/dist-packages/grpc');
if (!available && process.env['CI']) throw new Error('the download interop test needs python3-grpcio (Debian); .ci/run installs it');
if (!available) console.warn('SKIPPED download interop: apt-get install python3-grpcio');
const describeIfPython = available ? describe : describe.skip;

function probe(target: string, sha256: string, out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, [PROBE, target, DESCRIPTORS, sha256, out], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describeIfPython('FileService called by Python grpcio', () => {
  let dir: string;
  let server: FileServer;
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const sha256 = createHash('sha256').update(data).digest('hex');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kompart-download-interop-'));
    writeFileSync(join(dir, 'shared.bin'), data);
    const files = new SharedFiles();
    files.add(await hashLocalFile(join(dir, 'shared.bin'), createHashCache()));
    const service = createFileService({ files, self: () => '127.0.0.31', chunkBytes: 256 * 1024 });
    server = await startFileServer('127.0.0.31:0', service);
  });

  afterAll(async () => {
    await server.close(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a registered file by hash: the header first, then every byte in order', async () => {
    const out = join(dir, 'received.bin');
    const result = await probe(server.target, sha256, out);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { header } = JSON.parse(result.stdout) as { header: { sha256: string; size: string; offset?: string } };
    expect(header).toMatchObject({ sha256, size: String(data.length) });
    expect(readFileSync(out).equals(data)).toBe(true);
  });

  it('gets the contract error for a hash nobody registered', async () => {
    const result = await probe(server.target, 'ab'.repeat(32), join(dir, 'none.bin'));
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ code: 'NOT_FOUND' });
  });
});
