import { HeartbeatResponse, LocateFileResponse, RegisterFileResponse, RegistryEvent } from '@kompart/protocol';
import { WireWriter, bytesSize, isWireInteger, sharedFileSize, textSize, uintSize } from './wire-writer.js';

/**
 * Hand-written encoders for the responses the registry sends most often (one per
 * RegisterFile, LocateFile and heartbeat). Like encodeListFilesResponse they write the
 * generated encoders' exact bytes into one buffer sized up front (the generated ones
 * start from an empty buffer, grow it by doubling and copy the result out), and leave
 * whatever they were not written for to the generated encoders.
 */

export function encodeRegisterFileResponse(message: RegisterFileResponse): Buffer {
  const file = message.file;
  if (file === undefined || !isWireInteger(file.size)) return Buffer.from(RegisterFileResponse.encode(message).finish());
  const writer = new WireWriter(sharedFileSize(file));
  writer.sharedFile(0x0a, file);
  return writer.finish();
}

export function encodeLocateFileResponse(message: LocateFileResponse): Buffer {
  const file = message.file;
  if (file === undefined || !isWireInteger(file.size)) return Buffer.from(LocateFileResponse.encode(message).finish());
  const writer = new WireWriter(sharedFileSize(file) + textSize(message.address) + bytesSize(message.ticket) + bytesSize(message.holderCertificateSha256));
  writer.sharedFile(0x0a, file);
  writer.text(0x12, message.address);
  writer.bytes(0x1a, message.ticket);
  writer.bytes(0x22, message.holderCertificateSha256);
  return writer.finish();
}

/** Events already encoded, by message: one event is written to every stream. */
const encodedEvents = new WeakMap<HeartbeatResponse, Buffer>();
/** The same for an event's own bytes (RegistryEvent), which `events` messages are made of. */
const encodedEventBodies = new WeakMap<RegistryEvent, Buffer>();

function eventBody(event: RegistryEvent): Buffer {
  let body = encodedEventBodies.get(event);
  if (body === undefined) {
    body = Buffer.from(RegistryEvent.encode(event).finish());
    encodedEventBodies.set(event, body);
  }
  return body;
}

/**
 * An `events` message from the bytes of each event, encoded once however many streams'
 * messages it goes into (each stream's batch is its own list: it leaves out its own peer's
 * events and holds what waited for it).
 */
function encodeEvents(events: readonly RegistryEvent[]): Buffer {
  const bodies = events.map(eventBody);
  let size = 0;
  // A default event (every field empty) is an entry too: a repeated entry is never left out.
  for (const body of bodies) size += body.length === 0 ? 2 : bytesSize(body);
  const writer = new WireWriter(size + 6);
  const mark = writer.begin(0x1a, size);
  for (const body of bodies) {
    const entry = writer.begin(0x0a, body.length);
    writer.raw(body);
    writer.end(entry);
  }
  writer.end(mark);
  return writer.finish();
}

/**
 * Acks take the fast path. Events go to the generated encoder once per message object:
 * the registry pushes the same object to every open stream, and the bytes are reused.
 * `events` are put together from the bytes of each event (see encodeEvents).
 */
export function encodeHeartbeatResponse(message: HeartbeatResponse): Buffer {
  const kind = message.kind;
  if (kind?.$case === 'events') return encodeEvents(kind.value.events);
  if (kind?.$case !== 'ack' || !isWireInteger(kind.value.sequence) || !isWireInteger(kind.value.serverTimeMs)) {
    let encoded = encodedEvents.get(message);
    if (encoded === undefined) {
      encoded = Buffer.from(HeartbeatResponse.encode(message).finish());
      encodedEvents.set(message, encoded);
    }
    return encoded;
  }
  const ack = kind.value;
  const body = uintSize(ack.sequence) + uintSize(ack.serverTimeMs) + textSize(ack.registryInstance);
  const writer = new WireWriter(2 + body);
  const mark = writer.begin(0x0a, body);
  writer.uint(0x08, ack.sequence);
  writer.uint(0x10, ack.serverTimeMs);
  writer.text(0x1a, ack.registryInstance);
  writer.end(mark);
  return writer.finish();
}
