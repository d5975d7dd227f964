import {
  makeGenericClientConstructor,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientDuplexStream,
  type ClientOptions,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ClientWritableStream,
  type handleBidiStreamingCall,
  type handleClientStreamingCall,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type Metadata,
  type MethodDefinition as GrpcJsMethod,
  type ServiceError,
} from '@grpc/grpc-js';

/** A message type as ts-proto generates it (encode/decode of protobuf bytes). */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** One method of a ts-proto generic service definition (`outputServices=generic-definitions`). */
export interface MethodDef<Req = unknown, Res = unknown> {
  readonly name: string;
  readonly requestType: MessageType<Req>;
  readonly requestStream: boolean;
  readonly responseType: MessageType<Res>;
  readonly responseStream: boolean;
}

/** A ts-proto generic service definition: `RegistryDefinition`, `FileServiceDefinition`. */
export interface ServiceDef {
  readonly name: string;
  readonly fullName: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any request and response types
  readonly methods: Readonly<Record<string, MethodDef<any, any>>>;
}

export type RequestOf<M> = M extends { readonly requestType: MessageType<infer T> } ? T : never;
export type ResponseOf<M> = M extends { readonly responseType: MessageType<infer T> } ? T : never;

/** The grpc-js handler type of a method, from its streaming shape. */
export type HandlerOf<M> = M extends { readonly requestStream: true; readonly responseStream: true }
  ? handleBidiStreamingCall<RequestOf<M>, ResponseOf<M>>
  : M extends { readonly requestStream: false; readonly responseStream: true }
    ? handleServerStreamingCall<RequestOf<M>, ResponseOf<M>>
    : M extends { readonly requestStream: true; readonly responseStream: false }
      ? handleClientStreamingCall<RequestOf<M>, ResponseOf<M>>
      : handleUnaryCall<RequestOf<M>, ResponseOf<M>>;

/** A service implementation for a grpc-js Server: one handler per method of the definition. */
export type ServiceHandlers<D extends ServiceDef> = { [K in keyof D['methods']]: HandlerOf<D['methods'][K]> };

const MALFORMED = Symbol('kompart.malformedRequest');

/** What a kompart server's deserializer yields for bytes that are not a valid request message. */
export interface MalformedRequest {
  readonly [MALFORMED]: string;
}

/** True when a request could not be decoded (see grpcJsService). */
export function isMalformed(request: unknown): request is MalformedRequest {
  return typeof request === 'object' && request !== null && MALFORMED in request;
}

/** The decoder's complaint about a malformed request. */
export function malformedDetail(request: MalformedRequest): string {
  return request[MALFORMED];
}

/** Per-method replacements of the serializers (hand-written fast encoders). */
export type SerializerOverrides<D extends ServiceDef> = {
  readonly [K in keyof D['methods']]?: {
    readonly responseSerialize?: (value: ResponseOf<D['methods'][K]>) => Buffer;
    readonly responseDeserialize?: (bytes: Buffer) => ResponseOf<D['methods'][K]>;
  };
};

/** A grpc-js service definition with one method per method of the generated definition (so `service.download` is known to exist). */
export type GrpcJsServiceOf<D extends ServiceDef> = { readonly [K in keyof D['methods']]: GrpcJsMethod<unknown, unknown> };

/**
 * The grpc-js service definition of a generated one: method paths `/<package.Service>/<Method>`,
 * protobuf serializers, and a tolerant request decoder. grpc-js answers a request it cannot
 * decode with INTERNAL ("Error deserializing request"); here such bytes reach the handler as
 * a MalformedRequest, which the server boundary answers with INVALID_ARGUMENT like any other
 * bad input (a 64-bit size beyond 2^53 is one such case).
 */
export function grpcJsService<D extends ServiceDef>(definition: D, overrides: SerializerOverrides<D> = {}): GrpcJsServiceOf<D> {
  const service: Record<string, GrpcJsMethod<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    const override = (
      overrides as Record<string, { responseSerialize?: (value: unknown) => Buffer; responseDeserialize?: (bytes: Buffer) => unknown } | undefined>
    )[key];
    service[key] = {
      path: `/${definition.fullName}/${method.name}`,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      originalName: key,
      requestSerialize: (value: unknown) => Buffer.from(method.requestType.encode(value).finish()),
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestType.decode(bytes);
        } catch (error) {
          return { [MALFORMED]: error instanceof Error ? error.message : String(error) } satisfies MalformedRequest;
        }
      },
      responseSerialize: override?.responseSerialize ?? ((value: unknown) => Buffer.from(method.responseType.encode(value).finish())),
      responseDeserialize: override?.responseDeserialize ?? ((bytes: Buffer): unknown => method.responseType.decode(bytes)),
    };
  }
  // One entry per key of definition.methods, filled just above.
  return service as GrpcJsServiceOf<D>;
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** A grpc-js style client method, from its streaming shape (as ts-proto's grpc-js output types them). */
type ClientMethodOf<M> = M extends { readonly requestStream: true; readonly responseStream: true }
  ? {
      (): ClientDuplexStream<RequestOf<M>, ResponseOf<M>>;
      (options: Partial<CallOptions>): ClientDuplexStream<RequestOf<M>, ResponseOf<M>>;
      (metadata: Metadata, options?: Partial<CallOptions>): ClientDuplexStream<RequestOf<M>, ResponseOf<M>>;
    }
  : M extends { readonly requestStream: false; readonly responseStream: true }
    ? {
        (request: RequestOf<M>, options?: Partial<CallOptions>): ClientReadableStream<ResponseOf<M>>;
        (request: RequestOf<M>, metadata?: Metadata, options?: Partial<CallOptions>): ClientReadableStream<ResponseOf<M>>;
      }
    : M extends { readonly requestStream: true; readonly responseStream: false }
      ? {
          (callback: Callback<ResponseOf<M>>): ClientWritableStream<RequestOf<M>>;
          (metadata: Metadata, callback: Callback<ResponseOf<M>>): ClientWritableStream<RequestOf<M>>;
        }
      : {
          (request: RequestOf<M>, callback: Callback<ResponseOf<M>>): ClientUnaryCall;
          (request: RequestOf<M>, metadata: Metadata, callback: Callback<ResponseOf<M>>): ClientUnaryCall;
          (request: RequestOf<M>, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<ResponseOf<M>>): ClientUnaryCall;
        };

/** A grpc-js client of a generated service (callbacks and streams, as grpc-js clients are). */
export type GrpcJsClient<D extends ServiceDef> = Client & { readonly [K in keyof D['methods']]: ClientMethodOf<D['methods'][K]> };

/** The constructor of a GrpcJsClient. */
export type GrpcJsClientConstructor<D extends ServiceDef> = new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => GrpcJsClient<D>;

/** A grpc-js client class for a generated service (tests, benchmarks and plain grpc-js callers use it). */
export function grpcJsClientConstructor<D extends ServiceDef>(definition: D, overrides: SerializerOverrides<D> = {}): GrpcJsClientConstructor<D> {
  return makeGenericClientConstructor(grpcJsService(definition, overrides), definition.name) as unknown as GrpcJsClientConstructor<D>;
}
