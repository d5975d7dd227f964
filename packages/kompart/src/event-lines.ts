import { render, type Lang } from '@kompart/core';
import { cliTexts } from './texts.js';
import type { ConnectionLostReason, PeerEvent } from '@kompart/peer';
import { clientAddress, formatBytes } from './format.js';

/** An asynchronous message ready to print: its text and its --json fields. */
export interface EventLine {
  readonly text: string;
  readonly data: Readonly<Record<string, unknown>>;
}

const LOST: Readonly<Record<ConnectionLostReason, keyof typeof cliTexts>> = {
  'stream-error': 'lostStreamError',
  'stream-ended': 'lostStreamEnded',
  'registry-shutting-down': 'lostShuttingDown',
  'registry-restarted': 'lostRestarted',
  'no-ack': 'lostNoAck',
  'session-invalid': 'lostSessionInvalid',
};

/**
 * The line a peer event prints as, or undefined for events that print nothing by
 * themselves (heartbeats, failed reconnect attempts, and the `get file` events, whose
 * command prints its own start and finish lines).
 */
export function describeEvent(event: PeerEvent, lang: Lang, server: string): EventLine | undefined {
  const line = (text: string, data: Record<string, unknown>): EventLine => ({ text, data: { event: event.type, ...data } });
  switch (event.type) {
    case 'peer-joined':
      return line(render(cliTexts.eventPeerJoined, lang, { peer: event.peer }), { peer: event.peer });
    case 'peer-left':
      return line(render(cliTexts.eventPeerLeft, lang, { peer: event.peer }), { peer: event.peer });
    case 'peer-expired':
      return line(render(cliTexts.eventPeerExpired, lang, { peer: event.peer }), { peer: event.peer });
    case 'registry-shutting-down':
      return line(render(cliTexts.eventRegistryShuttingDown, lang), {});
    case 'connection-lost':
      // The shutdown announcement was already printed.
      if (event.reason === 'registry-shutting-down') return undefined;
      return line(render(cliTexts.eventConnectionLost, lang, { server, reason: render(cliTexts[LOST[event.reason]], lang) }), {
        server,
        reason: event.reason,
      });
    case 'reconnecting':
      return line(render(cliTexts.eventReconnecting, lang, { server, attempt: event.attempt }), { server, attempt: event.attempt });
    case 'resumed':
      return line(render(cliTexts.eventResumed, lang, { server }), { server, attempt: event.attempt });
    case 'reconnected': {
      const text = event.failedFiles > 0 ? cliTexts.eventReconnectedPartly : cliTexts.eventReconnected;
      return line(render(text, lang, { server, files: event.files, failed: event.failedFiles }), {
        server,
        files: event.files,
        failedFiles: event.failedFiles,
      });
    }
    case 'served': {
      const client = event.requester ?? clientAddress(event.client);
      const text = event.complete ? cliTexts.eventServed : cliTexts.eventServedPartly;
      return line(render(text, lang, { name: event.name, client, size: formatBytes(event.bytes) }), {
        name: event.name,
        client,
        bytes: event.bytes,
        complete: event.complete,
      });
    }
    case 'heartbeat':
    case 'reconnect-failed':
    case 'download-started':
    case 'download-finished':
    case 'download-failed':
      return undefined;
  }
}
