/** The standard gRPC health check, asked as any health-checking client would (grpc-js + the health .proto). */
import { credentials, loadPackageDefinition, type Client, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

type HealthClient = Client & { check(request: { service: string }, done: (error: Error | null, response: { status: string }) => void): void };

let constructor: ServiceClientConstructor | undefined;

/** `SERVING`, `NOT_SERVING`, … of `service` at `target` (`host:port`). */
export async function healthStatus(target: string, service: string): Promise<string> {
  if (constructor === undefined) {
    const loaded = loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String, defaults: true }));
    constructor = ['grpc', 'health', 'v1', 'Health'].reduce<unknown>((node, part) => (node as GrpcObject)[part], loaded) as ServiceClientConstructor;
  }
  const client = new constructor(target, credentials.createInsecure()) as unknown as HealthClient;
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service }, (error, response) => (error === null ? resolve(response.status) : reject(error))),
    );
  } finally {
    client.close();
  }
}
