import { cliTexts } from './texts.js';
import { describeError, render, type Lang } from '@kompart/core';
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

/** Why a shared file left the index by itself. */
type RemovedCause = Exclude<Extract<PeerEvent, { type: 'share-removed' }>['cause'], 'by-hand'>;

const REMOVED: Readonly<Record<RemovedCause, keyof typeof cliTexts>> = {
  deleted: 'eventShareDeleted',
  'not-a-file': 'eventShareNotAFile',
  unreadable: 'eventShareUnreadable',
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
    case 'registry-trusted':
      return line(render(cliTexts.eventRegistryTrusted, lang, { server: event.server, fingerprint: event.fingerprint, file: event.file }), {
        server: event.server,
        fingerprint: event.fingerprint,
        file: event.file,
      });
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
      return line(render(text, lang, { name: event.name, client, size: formatBytes(event.bytes, lang) }), {
        name: event.name,
        client,
        bytes: event.bytes,
        complete: event.complete,
      });
    }
    case 'share-added':
    case 'share-updated': {
      const text = event.type === 'share-added' ? cliTexts.eventShareAdded : cliTexts.eventShareUpdated;
      return line(render(text, lang, { path: event.path, size: formatBytes(event.size, lang), sha256: event.sha256 }), {
        path: event.path,
        sha256: event.sha256,
        size: event.size,
      });
    }
    case 'share-removed':
      // `unregister file` prints its own result.
      if (event.cause === 'by-hand') return undefined;
      return line(render(cliTexts[REMOVED[event.cause]], lang, { path: event.path }), { path: event.path, cause: event.cause });
    case 'share-failed':
      return line(render(cliTexts.eventShareFailed, lang, { path: event.path, error: describeError(event.error, lang) }), {
        path: event.path,
        action: event.action,
      });
    case 'watch-error':
      return line(render(cliTexts.eventWatchError, lang, { path: event.path, detail: event.detail }), { path: event.path, detail: event.detail });
    case 'heartbeat':
    case 'reconnect-failed':
    case 'download-started':
    case 'download-finished':
    case 'download-failed':
      return undefined;
  }
}
