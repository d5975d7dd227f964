/** @kompart/grpc/testing: plain grpc-js clients of the contract, for tests and benchmarks. */
import { FileServiceDefinition, RegistryDefinition } from '@kompart/protocol';
import { grpcJsClientConstructor, grpcJsService, type GrpcJsClient } from '../service-definition.js';

/** A grpc-js client of the Registry (callbacks and streams), as any grpc-js program would make one. */
export const RegistryClient = grpcJsClientConstructor(RegistryDefinition);
export type RegistryClient = GrpcJsClient<typeof RegistryDefinition>;

/** A grpc-js client of a peer's FileService. */
export const FileServiceClient = grpcJsClientConstructor(FileServiceDefinition);
export type FileServiceClient = GrpcJsClient<typeof FileServiceDefinition>;

/** The Registry as a grpc-js service definition, for servers written in a test (a silent registry, say). */
export const RegistryService = grpcJsService(RegistryDefinition);

/** The FileService as a grpc-js service definition, for holders written in a test (hostile, stalled). */
export const FileServiceService = grpcJsService(FileServiceDefinition);
