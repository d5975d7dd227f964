import { IdleBuffers, idleBuffers } from './idle-buffers';

describe('IdleBuffers', () => {
  it('hands back given buffers of its size, keeps at most `keep`, and gives larger requests a buffer of their own', () => {
    const idle = new IdleBuffers(64, 1);
    const a = idle.take();
    const b = idle.take();
    expect(a.length).toBe(64);
    idle.give(a);
    idle.give(b);
    expect(idle.take()).toBe(a);
    expect(idle.take()).not.toBe(b);
    const large = idle.take(100);
    expect(large.length).toBe(100);
    idle.give(large);
    expect(idle.take()).not.toBe(large);
  });

  it('is one set per size for the whole process', () => {
    expect(idleBuffers(4096 + 7, 2)).toBe(idleBuffers(4096 + 7, 2));
    expect(idleBuffers(4096 + 7, 2)).not.toBe(idleBuffers(4096 + 8, 2));
  });
});
