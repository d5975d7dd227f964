import type { HeartbeatResponse, RegistryEvent } from './gen/kompart/v1/registry.js';

/** The events a HeartbeatResponse carries, in order: one for `event`, several for `events`, none for an ack. */
export function heartbeatEvents(message: HeartbeatResponse): readonly RegistryEvent[] {
  const kind = message.kind;
  if (kind?.$case === 'event') return [kind.value];
  if (kind?.$case === 'events') return kind.value.events;
  return [];
}
