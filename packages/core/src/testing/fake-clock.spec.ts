import { FakeClock } from './fake-clock.js';

describe('FakeClock', () => {
  it('runs timers in order of due time as time advances, and only those due', async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 300);
    await clock.advance(250);
    expect(fired).toEqual(['a@1100', 'b@1200']);
    expect(clock.now()).toBe(1250);
    await clock.advance(50);
    expect(fired).toEqual(['a@1100', 'b@1200', 'c@1300']);
  });

  it('repeats intervals and stops cleared timers', async () => {
    const clock = new FakeClock(0);
    let ticks = 0;
    const interval = clock.setInterval(() => ticks++, 10);
    await clock.advance(35);
    expect(ticks).toBe(3);
    clock.clearInterval(interval);
    await clock.advance(100);
    expect(ticks).toBe(3);
    expect(clock.pending).toBe(0);
  });

  it('starts a refreshed timer over from now', async () => {
    const clock = new FakeClock(0);
    let fired = -1;
    const timer = clock.setTimeout(() => (fired = clock.now()), 100);
    await clock.advance(60);
    timer.refresh();
    await clock.advance(60);
    expect(fired).toBe(-1);
    await clock.advance(40);
    expect(fired).toBe(160);
  });

  it('lets async work started by one timer finish before the next fires', async () => {
    const clock = new FakeClock(0);
    const order: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => order.push('continuation of first'));
      order.push('first');
    }, 10);
    clock.setTimeout(() => order.push('second'), 20);
    await clock.advance(20);
    expect(order).toEqual(['first', 'continuation of first', 'second']);
  });

  it('sleeps on its own time and rejects when aborted', async () => {
    const clock = new FakeClock(0);
    let woke = false;
    const sleeping = clock.sleep(500).then(() => (woke = true));
    await clock.advance(499);
    expect(woke).toBe(false);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
    const controller = new AbortController();
    const aborted = clock.sleep(500, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });
});
