/**
 * Interoperability: a gRPC client that shares no code with kompart (Python grpcio from
 * Debian, reflection protos from Debian's grpc-proto, a strict protobuf DescriptorPool)
 * lists, describes and calls the registry through server reflection alone, as grpcurl
 * would. `.ci/run` installs python3-grpcio, python3-grpc-tools and grpc-proto.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistryServer, type RunningRegistry } from '@kompart/registry-server';

const PYTHON = '/usr/bin/python3';
const PROBE = join(__dirname, 'grpc_probe.py');

function pythonGrpcAvailable(): boolean {
  if (!existsSync(PYTHON) || !existsSync('/usr/share/grpc-proto/grpc/reflection/v1/reflection.proto')) return false;
  return existsSync('/usr/lib/python3/dist-packages/grpc') && existsSync('/usr/lib/python3/dist-packages/grpc_tools');
}

const available = pythonGrpcAvailable();
if (!available && process.env['CI']) {
  throw new Error('the interop test needs python3-grpcio, python3-grpc-tools and grpc-proto (Debian); .ci/run installs them');
}
if (!available) {
  // Visible in the Jest output: this machine lacks the independent client.
  console.warn('SKIPPED reflection interop: apt-get install python3-grpcio python3-grpc-tools grpc-proto');
}
const describeIfPython = available ? describe : describe.skip;

interface ProbeResult {
  readonly code: number;
  readonly json: unknown;
}

function probe(target: string, ...args: string[]): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [PROBE, target, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      if (code !== 0 && code !== 3) {
        reject(new Error(`probe ${args.join(' ')} failed (${code}): ${stderr}`));
        return;
      }
      resolve({ code, json: JSON.parse(stdout) });
    });
  });
}

describeIfPython('server reflection with an independent client (Python grpcio)', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistryServer({ address: '127.0.0.1:0', summaryIntervalMs: 0 });
  });
  afterAll(() => registry.close());

  it('lists the Registry and the health service', async () => {
    const { json } = await probe(registry.target, 'list');
    expect(json).toEqual(expect.arrayContaining(['kompart.v1.Registry', 'grpc.health.v1.Health']));
    expect(json).not.toContain('kompart.v1.FileService');
  });

  it('describes the Registry service with every method, streaming flags included', async () => {
    const { json } = await probe(registry.target, 'describe', 'kompart.v1.Registry');
    expect(json).toMatchObject({ service: 'kompart.v1.Registry' });
    const methods = (json as { methods: { name: string; input: string; client_streaming: boolean; server_streaming: boolean }[] }).methods;
    expect(methods.map((m) => m.name).sort()).toEqual([
      'Disconnect',
      'Heartbeat',
      'ListFiles',
      'LocateFile',
      'LocateHolders',
      'RegisterFile',
      'RegisterPeer',
      'UnregisterFile',
    ]);
    expect(methods.find((m) => m.name === 'UnregisterFile')?.input).toBe('kompart.v1.UnregisterFileRequest');
    expect(methods.find((m) => m.name === 'LocateHolders')?.input).toBe('kompart.v1.LocateHoldersRequest');
    expect(methods.find((m) => m.name === 'Heartbeat')).toMatchObject({ client_streaming: true, server_streaming: true });
    expect(methods.find((m) => m.name === 'RegisterPeer')?.input).toBe('kompart.v1.RegisterPeerRequest');
  });

  it.each(['kompart.v1.ListFilesResponse', 'kompart.v1.SharedFile', 'kompart.v1.HeartbeatResponse', 'kompart.v1.EventType', 'kompart.v1.ErrorReason'])(
    'describes %s',
    async (symbol) => {
      const { json } = await probe(registry.target, 'describe', symbol);
      expect(JSON.stringify(json)).toContain(symbol);
    },
  );

  it('registers a peer from JSON, then sees "Peer <IP> já registrado" with status details', async () => {
    const first = await probe(registry.target, 'call', 'kompart.v1.Registry/RegisterPeer', '{"address": "127.0.0.2"}');
    expect(first.code).toBe(0);
    expect(first.json).toMatchObject({ peer: '127.0.0.2', heartbeatIntervalMs: 5000, heartbeatMisses: 2 });
    const second = await probe(registry.target, 'call', 'kompart.v1.Registry/RegisterPeer', '{"address": "127.0.0.2"}');
    expect(second).toEqual({ code: 3, json: { code: 'ALREADY_EXISTS', message: 'Peer 127.0.0.2 já registrado', has_status_details: true } });
  });

  it('calls with a session token in metadata', async () => {
    const session = await probe(registry.target, 'call', 'kompart.v1.Registry/RegisterPeer', '{"address": "127.0.0.3"}');
    const token = (session.json as { sessionToken: string }).sessionToken;
    const sha256 = 'a'.repeat(64);
    const registered = await probe(
      registry.target,
      'call',
      'kompart.v1.Registry/RegisterFile',
      JSON.stringify({ peer: '127.0.0.3', path: '/srv/a.txt', sha256, size: 3 }),
      '-H',
      `authorization: Bearer ${token}`,
    );
    expect(registered.json).toEqual({ file: { peer: '127.0.0.3', path: '/srv/a.txt', name: 'a.txt', sha256, size: '3' } });
    // Piece fields from JSON; nobody else holds the content, so LocateHolders says so.
    const pieced = await probe(
      registry.target,
      'call',
      'kompart.v1.Registry/RegisterFile',
      JSON.stringify({
        peer: '127.0.0.3',
        path: '/srv/b.txt',
        sha256: 'b'.repeat(64),
        size: 3,
        pieceSize: 262144,
        piecesRoot: Buffer.alloc(32, 1).toString('base64'),
      }),
      '-H',
      `authorization: Bearer ${token}`,
    );
    expect(pieced.code).toBe(0);
    const holders = await probe(
      registry.target,
      'call',
      'kompart.v1.Registry/LocateHolders',
      JSON.stringify({ peer: '127.0.0.3', sha256: 'bbbbbbbb' }),
      '-H',
      `authorization: Bearer ${token}`,
    );
    expect(holders).toEqual({ code: 3, json: { code: 'NOT_FOUND', message: 'arquivo removido ou indisponível', has_status_details: true } });
    await probe(
      registry.target,
      'call',
      'kompart.v1.Registry/UnregisterFile',
      '{"peer": "127.0.0.3", "path": "/srv/b.txt"}',
      '-H',
      `authorization: Bearer ${token}`,
    );
    const listed = await probe(registry.target, 'call', 'kompart.v1.Registry/ListFiles', '{"peer": "127.0.0.3"}', '-H', `authorization: Bearer ${token}`);
    expect(listed.json).toEqual({ files: [{ peer: '127.0.0.3', path: '/srv/a.txt', name: 'a.txt', sha256, size: '3' }] });
    const unregister = (): Promise<ProbeResult> =>
      probe(
        registry.target,
        'call',
        'kompart.v1.Registry/UnregisterFile',
        '{"peer": "127.0.0.3", "path": "/srv/a.txt"}',
        '-H',
        `authorization: Bearer ${token}`,
      );
    expect((await unregister()).json).toEqual(registered.json);
    expect(await unregister()).toEqual({ code: 3, json: { code: 'NOT_FOUND', message: 'Arquivo /srv/a.txt não registrado', has_status_details: true } });
  });

  it('answers the standard health check', async () => {
    expect((await probe(registry.target, 'call', 'grpc.health.v1.Health/Check', '{}')).json).toEqual({ status: 'SERVING' });
    expect((await probe(registry.target, 'call', 'grpc.health.v1.Health/Check', '{"service": "kompart.v1.Registry"}')).json).toEqual({ status: 'SERVING' });
  });
});
