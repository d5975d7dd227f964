import { readFileSync } from 'node:fs';
import type { Server } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { DESCRIPTOR_SET_PATH } from '@kompart/protocol';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';

/** The standard health service's name. */
const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/** Loads the descriptor set as a proto-loader package definition (for @grpc/reflection). */
function loadDescriptorPackageDefinition(): PackageDefinition {
  return loadFileDescriptorSetFromBuffer(readFileSync(DESCRIPTOR_SET_PATH), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

/** Everything reflection can describe: the contract and the health service, map entries repaired (see repairMapEntries). */
let described: PackageDefinition | undefined;

/**
 * Adds server reflection to `server`, describing what it really serves: `services` (fully
 * qualified names) and the health service. Other services of the descriptor set stay out of
 * `list` (FileService is in the same set, but only peers serve it).
 */
export function addReflection(server: Server, services: readonly string[]): void {
  described ??= repairMapEntries({ ...loadDescriptorPackageDefinition(), ...loadSync(healthProtoPath, { keepCase: true }) });
  new ReflectionService(described, { services: [...services, HEALTH_SERVICE_NAME] }).addToServer(server);
}

interface DescriptorMessage {
  name?: string;
  field?: { name?: string; typeName?: string; label?: number }[];
  nestedType?: DescriptorMessage[];
  options?: { mapEntry?: boolean };
}

/** `statuses` -> `StatusesEntry`, the name protoc gives a map field's entry message. */
function entryName(field: string): string {
  return field.replace(/(?:^|_)([a-z0-9])/g, (_all, letter: string) => letter.toUpperCase()) + 'Entry';
}

function repairMessage(message: DescriptorMessage): boolean {
  let changed = false;
  for (const nested of message.nestedType ?? []) {
    changed = repairMessage(nested) || changed;
    if (!nested.options?.mapEntry || nested.name?.endsWith('Entry')) continue;
    const field = message.field?.find((f) => f.typeName === nested.name || f.typeName?.endsWith(`.${nested.name}`));
    if (field?.name === undefined || field.typeName === undefined) continue;
    const fixed = entryName(field.name);
    field.typeName = field.typeName.slice(0, field.typeName.length - nested.name!.length) + fixed;
    nested.name = fixed;
    changed = true;
  }
  return changed;
}

/**
 * proto-loader re-serialises descriptors through protobufjs, which names a map field's
 * entry message after the field (`Statuses`) instead of `StatusesEntry`. Strict protobuf
 * implementations (Python's, C++'s) refuse such descriptors, so a reflection client
 * could not describe the health service. This rewrites every map entry the way protoc
 * names it; other descriptors pass through unchanged.
 */
function repairMapEntries(definition: PackageDefinition): PackageDefinition {
  const repaired = new Map<Buffer, Buffer>();
  const repair = (bytes: Buffer): Buffer => {
    let out = repaired.get(bytes);
    if (out === undefined) {
      const file = FileDescriptorProto.decode(bytes) as unknown as { messageType?: DescriptorMessage[] };
      let changed = false;
      for (const message of file.messageType ?? []) changed = repairMessage(message) || changed;
      out = changed ? Buffer.from(FileDescriptorProto.encode(file as unknown as Parameters<typeof FileDescriptorProto.encode>[0]).finish()) : bytes;
      repaired.set(bytes, out);
    }
    return out;
  };
  const result: PackageDefinition = {};
  for (const [name, entry] of Object.entries(definition)) {
    const files = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos;
    result[name] = Array.isArray(files) ? ({ ...entry, fileDescriptorProtos: files.map(repair) } as typeof entry) : entry;
  }
  return result;
}
