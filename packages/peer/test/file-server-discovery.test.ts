import { credentials, loadPackageDefinition, type Client, type ClientDuplexStream, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { createFileService, startFileServer, type FileServer } from '../src/transfer/file-service';
import { SharedFiles } from '../src/local-library';

/** Builds a dynamic client for `service` (package.Service) from a .proto file. */
function dynamicClient(protoFile: string, service: string, target: string): Client {
  const loaded = loadPackageDefinition(loadSync(protoFile, { keepCase: true, longs: String, enums: String, defaults: true })) as GrpcObject;
  const ctor = service.split('.').reduce<unknown>((node, part) => (node as GrpcObject)[part], loaded) as ServiceClientConstructor;
  return new ctor(target, credentials.createInsecure());
}

describe('FileService discovery', () => {
  let server: FileServer;

  beforeAll(async () => {
    server = await startFileServer('127.0.0.22:0', createFileService({ files: new SharedFiles(), self: () => '127.0.0.22' }));
  });

  afterAll(async () => {
    await server.close(100);
  });

  it('answers the standard health check', async () => {
    const client = dynamicClient(healthProtoPath, 'grpc.health.v1.Health', server.target) as Client & {
      check(request: { service: string }, done: (error: Error | null, response: { status: string }) => void): void;
    };
    try {
      const response = await new Promise<{ status: string }>((resolve, reject) =>
        client.check({ service: 'kompart.v1.FileService' }, (error, value) => (error === null ? resolve(value) : reject(error))),
      );
      expect(response.status).toBe('SERVING');
    } finally {
      client.close();
    }
  });

  it('lists its services through server reflection', async () => {
    const reflectionProto = join(require.resolve('@grpc/reflection'), '..', '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
    const client = dynamicClient(reflectionProto, 'grpc.reflection.v1.ServerReflection', server.target) as Client & {
      ServerReflectionInfo(): ClientDuplexStream<{ list_services: string }, { list_services_response?: { service: { name: string }[] } }>;
    };
    try {
      const call = client.ServerReflectionInfo();
      const answer = new Promise<string[]>((resolve, reject) => {
        call.once('data', (response: { list_services_response?: { service: { name: string }[] } }) =>
          resolve((response.list_services_response?.service ?? []).map((s) => s.name).sort()),
        );
        call.once('error', reject);
      });
      call.write({ list_services: '' });
      expect(await answer).toEqual(['grpc.health.v1.Health', 'kompart.v1.FileService']);
      call.end();
    } finally {
      client.close();
    }
  });
});
