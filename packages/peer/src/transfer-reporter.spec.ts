import { FakeClock } from '@kompart/core/testing';
import { TransferState, type TransferReport } from '@kompart/protocol';
import { TransferReporter } from './transfer-reporter.js';

describe('TransferReporter', () => {
  const start = { holder: '127.0.0.3', name: 'song.mp3', sha256: 'a'.repeat(64), size: 10_000 };

  function reporter(): { sent: TransferReport[][]; clock: FakeClock; reports: TransferReporter } {
    const clock = new FakeClock();
    const sent: TransferReport[][] = [];
    return { sent, clock, reports: new TransferReporter({ send: (batch) => sent.push(batch), clock, intervalMs: 1000 }) };
  }

  it('reports a start and an end at once, progress at most once an interval with the rate since the last report', async () => {
    const { sent, clock, reports } = reporter();
    const id = reports.started(start);
    expect(sent).toEqual([[expect.objectContaining({ id, received: 0, state: TransferState.TRANSFER_STATE_ACTIVE })]]);
    reports.progress(id, 1000);
    reports.progress(id, 2000);
    expect(sent).toHaveLength(1);
    await clock.advance(1000);
    expect(sent[1]).toEqual([expect.objectContaining({ id, received: 2000, bytesPerSecond: 2000 })]);
    await clock.advance(1000); // nothing new: nothing sent
    expect(sent).toHaveLength(2);
    reports.progress(id, 3000);
    await clock.advance(1000);
    expect(sent[2]).toEqual([expect.objectContaining({ received: 3000, bytesPerSecond: 500 })]);
    reports.ended(id, 'done');
    expect(sent[3]).toEqual([expect.objectContaining({ id, received: 10_000, state: TransferState.TRANSFER_STATE_DONE, bytesPerSecond: 0 })]);
    await clock.advance(5000);
    expect(sent).toHaveLength(4);
  });

  it('a failed download says so; reports are copies, and unknown ids change nothing', async () => {
    const { sent, clock, reports } = reporter();
    const a = reports.started(start);
    const b = reports.started({ ...start, name: 'other.bin' });
    expect(a).not.toBe(b);
    reports.progress(a, 500);
    reports.progress('nope', 1);
    reports.ended('nope', 'failed');
    reports.ended(b, 'failed');
    expect(sent.at(-1)).toEqual([expect.objectContaining({ id: b, state: TransferState.TRANSFER_STATE_FAILED })]);
    await clock.advance(1000);
    const last = sent.at(-1)!;
    expect(last).toEqual([expect.objectContaining({ id: a, received: 500 })]);
    last[0]!.received = 0;
    reports.progress(a, 600);
    await clock.advance(1000);
    expect(sent.at(-1)).toEqual([expect.objectContaining({ id: a, received: 600 })]);
    reports.stop();
    reports.progress(a, 700);
    await clock.advance(1000);
    expect(sent.at(-1)![0]!.received).toBe(600);
  });
});
