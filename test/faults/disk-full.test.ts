/**
 * Fault (issue 7, item 1): the receiver's disk fills up during a download. The downloads
 * folder is a 2 MiB tmpfs and the file is 4 MiB: the download fails with DISK_FULL, leaves
 * neither a final file nor a part file (the space comes back at once), and the peer keeps
 * working: a small download right after succeeds on the same file system.
 *
 * Mounting needs root (and CAP_SYS_ADMIN): skipped with a warning otherwise.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describeError } from '@kompart/core';
import { isPeerError, type Peer } from '@kompart/peer';
import { startNetwork, type TestNetwork } from '../../packages/peer/test/support/network';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('test/faults/disk-full.test.ts skipped: mounting a tmpfs needs root');

(isRoot ? describe : describe.skip)('a receiver whose disk is full', () => {
  let net: TestNetwork;
  let mountPoint: string;
  let mounted = false;
  let alice: Peer;
  let bob: Peer;
  const big = randomBytes(4 * 1024 * 1024);
  const small = randomBytes(100_000);

  beforeAll(async () => {
    net = await startNetwork();
    mountPoint = net.dir.join('bob-downloads');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' });
      mounted = true;
    } catch (error) {
      console.warn(`test/faults/disk-full.test.ts skipped: cannot mount a tmpfs (${String(error).split('\n')[0]})`);
      return;
    }
    alice = await net.addPeer('127.0.0.71');
    bob = await net.addPeer('127.0.0.72', { downloadsDir: mountPoint });
    await Promise.all([alice.registerPeer(), bob.registerPeer()]);
    mkdirSync(net.dir.join('share'));
    writeFileSync(net.dir.join('share', 'big.bin'), big);
    writeFileSync(net.dir.join('share', 'small.bin'), small);
    await alice.registerPath(net.dir.join('share'));
  });

  afterAll(async () => {
    try {
      // Unmounted first, whatever happened: net.close() then removes the temporary folder.
      if (mounted) execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
    } finally {
      await net.close();
    }
  });

  it('fails with DISK_FULL, leaves nothing behind, and the next download works', async () => {
    if (!mounted) return;
    const error = await bob.getFile(`${alice.id}/big.bin`).catch((e: unknown) => e);
    expect(isPeerError(error, 'DISK_FULL')).toBe(true);
    expect(describeError(error, 'pt')).toMatch(/^Disco cheio: não foi possível gravar .*big\.bin\.[0-9a-f]{16}\.part$/);
    expect(describeError(error, 'en')).toMatch(/^Disk full: cannot write /);
    // No final file and no part file: the space is free again.
    expect(readdirSync(mountPoint)).toEqual([]);
    expect(bob.state).toBe('online');

    const result = await bob.getFile(`${alice.id}/small.bin`);
    expect(result).toMatchObject({ status: 'downloaded', path: `${mountPoint}/small.bin`, sha256: sha(small) });
    expect(readFileSync(result.path).equals(small)).toBe(true);
    expect(readdirSync(mountPoint)).toEqual(['small.bin']);
  });
});
