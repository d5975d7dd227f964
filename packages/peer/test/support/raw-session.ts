import { ChannelCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { type LocateFileResponse, type RegisterFileRequest, type RegisterPeerResponse } from '@kompart/protocol';
import { RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';

/** A bare gRPC client registered with the registry, as any grpcurl user could be. */
export interface RawSession {
  readonly peer: string;
  /** LocateFile as this session: the holder's address and a download ticket. */
  locate(holder: string, file: string): Promise<LocateFileResponse>;
  /** RegisterFile as this session, declaring whatever it likes. */
  registerFile(file: Omit<RegisterFileRequest, 'peer'>): Promise<void>;
  /** Stops beating and closes the channel (the registry drops the session). */
  close(): void;
}

/**
 * Registers `address` with a plain RegistryClient and keeps its heartbeat going (at twice
 * the rate the registry asks for), so the session lives as long as the test needs it.
 */
export async function rawSession(registryTarget: string, address: string): Promise<RawSession> {
  const client = new RegistryClient(registryTarget, ChannelCredentials.createInsecure());
  const session = await new Promise<RegisterPeerResponse>((resolve, reject) =>
    client.registerPeer({ address, certificateSha256: Buffer.alloc(0) }, new Metadata(), (error: ServiceError | null, response: RegisterPeerResponse) =>
      error ? reject(error) : resolve(response),
    ),
  );
  const token = tokenMetadata(session.sessionToken);
  const stream = client.heartbeat(token);
  stream.on('error', () => undefined);
  stream.on('data', () => undefined);
  let sequence = 0;
  const beat = (): void => {
    stream.write({ sequence: ++sequence, transfers: [] });
  };
  beat();
  const timer = setInterval(beat, Math.max(20, session.heartbeatIntervalMs / 2));
  return {
    peer: session.peer,
    locate: (holder, file) =>
      new Promise<LocateFileResponse>((resolve, reject) =>
        client.locateFile({ peer: session.peer, holder, file }, token, (error: ServiceError | null, response: LocateFileResponse) =>
          error ? reject(error) : resolve(response),
        ),
      ),
    registerFile: (file) =>
      new Promise<void>((resolve, reject) =>
        client.registerFile({ ...file, peer: session.peer }, token, (error: ServiceError | null) => (error ? reject(error) : resolve())),
      ),
    close() {
      clearInterval(timer);
      stream.end();
      stream.cancel();
      client.close();
    },
  };
}
