import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFileDescriptorSetFromBuffer, type PackageDefinition } from '@grpc/proto-loader';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';

/**
 * The FileDescriptorSet of protos/ (with comments), written by `npm run generate`
 * (`buf build`). Server reflection serves it, so grpcurl-style clients can list and
 * describe every service and message without a copy of the .proto files.
 */
export const DESCRIPTOR_SET_PATH = join(__dirname, '..', 'descriptors', 'kompart.binpb');

/** The service names of the contract, fully qualified. */
export const REGISTRY_SERVICE_NAME = 'kompart.v1.Registry';
export const FILE_SERVICE_NAME = 'kompart.v1.FileService';

/** Loads the descriptor set as a proto-loader package definition (for @grpc/reflection). */
export function loadDescriptorPackageDefinition(): PackageDefinition {
  return loadFileDescriptorSetFromBuffer(readFileSync(DESCRIPTOR_SET_PATH), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
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
export function repairMapEntries(definition: PackageDefinition): PackageDefinition {
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
    result[name] = Array.isArray(files) ? { ...entry, fileDescriptorProtos: files.map(repair) } as typeof entry : entry;
  }
  return result;
}
