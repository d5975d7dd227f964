import { TaskPool } from './task-pool';

describe('TaskPool', () => {
  it('never runs more than the limit at once and waits for all on drain', async () => {
    const pool = new TaskPool(3);
    let running = 0;
    let peak = 0;
    let done = 0;
    const releases: (() => void)[] = [];
    const adding = (async () => {
      for (let i = 0; i < 10; i++) {
        await pool.add(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise<void>((resolve) => releases.push(resolve));
          running -= 1;
          done += 1;
        });
      }
    })();
    while (done < 10) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.splice(0).forEach((release) => release());
    }
    await adding;
    await pool.drain();
    expect(peak).toBe(3);
    expect(done).toBe(10);
  });

  it('rethrows a task failure on drain', async () => {
    const pool = new TaskPool(2);
    await pool.add(() => Promise.reject(new Error('bug')));
    await expect(pool.drain()).rejects.toThrow('bug');
  });
});
