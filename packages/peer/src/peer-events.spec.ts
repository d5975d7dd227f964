import type { Logger } from '@kompart/core';
import { PeerEventEmitter, type PeerEvent } from './peer-events';

const errors: string[] = [];
const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_fields, message) => errors.push(message) };

describe('PeerEventEmitter', () => {
  it('delivers typed events, isolates a throwing listener, and supports removal', () => {
    const events = new PeerEventEmitter(logger);
    const seen: string[] = [];
    events.on('peer-left', () => {
      throw new Error('listener bug');
    });
    const remove = events.on('peer-left', (event) => seen.push(event.peer));
    events.onAny((event) => seen.push(`any:${event.type}`));
    events.emit({ type: 'peer-left', peer: '127.0.0.2', timeMs: 1 });
    remove();
    events.emit({ type: 'peer-left', peer: '127.0.0.3', timeMs: 2 });
    expect(seen).toEqual(['127.0.0.2', 'any:peer-left', 'any:peer-left']);
    expect(errors).toEqual(['event listener threw', 'event listener threw']);
  });

  it('waits for the next matching event and honours an abort signal', async () => {
    const events = new PeerEventEmitter(logger);
    const next = events.next('reconnecting', { matching: (e) => e.attempt === 2 });
    events.emit({ type: 'reconnecting', attempt: 1, delayMs: 10 });
    events.emit({ type: 'reconnecting', attempt: 2, delayMs: 20 });
    expect(await next).toEqual({ type: 'reconnecting', attempt: 2, delayMs: 20 });
    const controller = new AbortController();
    const never = events.next('reconnected', { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(never).rejects.toThrow('gave up');
  });

  it('streams events as an async iterator until aborted', async () => {
    const events = new PeerEventEmitter(logger);
    const controller = new AbortController();
    const received: PeerEvent[] = [];
    const reading = (async () => {
      for await (const event of events.stream(controller.signal)) {
        received.push(event);
        if (received.length === 2) controller.abort();
      }
    })();
    events.emit({ type: 'registry-shutting-down', timeMs: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    events.emit({ type: 'peer-expired', peer: 'p', timeMs: 2 });
    await reading;
    expect(received.map((e) => e.type)).toEqual(['registry-shutting-down', 'peer-expired']);
  });
});
