import { FakeClock } from '@kompart/core/testing';
import { Reason } from '@kompart/protocol';
import { RateLimiter } from './rate-limiter.js';
import { SourceLimits, sourceKey } from './source-limits.js';

const refusal = (reason: string, params: Record<string, string>) => expect.objectContaining({ reason, params });

describe('SourceLimits', () => {
  it('allows a minute of registrations from one source at once, then one every 60/N s, other sources unaffected', async () => {
    const clock = new FakeClock(0);
    const limits = new SourceLimits({ registrationsPerMinute: 6, sessionsPerSource: 0, clock });
    for (let n = 0; n < 6; n++) limits.admitRegistration('10.0.0.1');
    expect(() => limits.admitRegistration('10.0.0.1')).toThrow(refusal(Reason.REGISTRATION_RATE_EXCEEDED, { ip: '10.0.0.1', limit: '6' }));
    limits.admitRegistration('10.0.0.2');
    await clock.advance(9_999);
    expect(() => limits.admitRegistration('10.0.0.1')).toThrow(refusal(Reason.REGISTRATION_RATE_EXCEEDED, { ip: '10.0.0.1', limit: '6' }));
    await clock.advance(1);
    limits.admitRegistration('10.0.0.1');
    expect(() => limits.admitRegistration('10.0.0.1')).toThrow(expect.objectContaining({ reason: Reason.REGISTRATION_RATE_EXCEEDED }));
    await clock.advance(60_000);
    for (let n = 0; n < 6; n++) limits.admitRegistration('10.0.0.1');
  });

  it('counts sessions per source until they end; a reservation released or bound once counts once', () => {
    const limits = new SourceLimits({ registrationsPerMinute: 0, sessionsPerSource: 2, clock: new FakeClock(0) });
    limits.reserveSession('10.0.0.1').bind('t1');
    const second = limits.reserveSession('10.0.0.1');
    expect(() => limits.reserveSession('10.0.0.1')).toThrow(refusal(Reason.SESSIONS_PER_IP_EXCEEDED, { ip: '10.0.0.1', limit: '2' }));
    limits.reserveSession('10.0.0.2').release();
    second.release();
    second.release();
    expect(limits.sessionsOf('10.0.0.1')).toBe(1);
    limits.reserveSession('10.0.0.1').bind('t2');
    expect(() => limits.reserveSession('10.0.0.1')).toThrow(expect.objectContaining({ reason: Reason.SESSIONS_PER_IP_EXCEEDED }));
    limits.sessionEnded('t1');
    limits.sessionEnded('t1');
    limits.sessionEnded('a token of another replica');
    expect(limits.sessionsOf('10.0.0.1')).toBe(1);
    limits.reserveSession('10.0.0.1').bind('t3');
    expect(limits.sessionsOf('10.0.0.2')).toBe(0);
  });

  it('is off at 0', () => {
    const limits = new SourceLimits({ registrationsPerMinute: 0, sessionsPerSource: 0 });
    for (let n = 0; n < 10_000; n++) {
      limits.admitRegistration('10.0.0.1');
      limits.reserveSession('10.0.0.1').bind(`t${n}`);
    }
    expect(limits.sessionsOf('10.0.0.1')).toBe(10_000);
  });

  it('counts an IPv6 source by its /64 and an IPv4 one by its address', () => {
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
    const limits = new SourceLimits({ registrationsPerMinute: 0, sessionsPerSource: 1, clock: new FakeClock(0) });
    limits.reserveSession('2001:db8:1:2::1').bind('a');
    expect(() => limits.reserveSession('2001:db8:1:2::ffff')).toThrow(expect.objectContaining({ reason: Reason.SESSIONS_PER_IP_EXCEEDED }));
    limits.reserveSession('2001:db8:1:3::1').bind('b');
  });
});

describe('RateLimiter pruning', () => {
  it('drops buckets that filled up again, so sources seen once do not pile up', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(1, 2, clock);
    for (let n = 0; n < 4095; n++) limiter.take(`once-${n}`);
    expect(limiter.size).toBe(4095);
    await clock.advance(2000);
    limiter.take('busy');
    expect(limiter.size).toBe(1);
  });
});
