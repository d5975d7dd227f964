import { status } from '@grpc/grpc-js';
import { KompartError, Reason, fromServiceError, messageFor, toServiceError } from './errors.js';

describe('errors across the wire', () => {
  it('carries the reason and parameters through the status details', () => {
    const sent = toServiceError(new KompartError(Reason.PeerOffline, { peer: '127.0.0.3' }), 'pt');
    expect(sent.code).toBe(status.UNAVAILABLE);
    expect(sent.details).toBe('Peer 127.0.0.3 offline');
    const received = fromServiceError(sent);
    expect(received?.reason).toBe(Reason.PeerOffline);
    expect(received?.params).toEqual({ peer: '127.0.0.3' });
    expect(received?.code).toBe(status.UNAVAILABLE);
  });

  it('hides anything unexpected behind INTERNAL and a generic text', () => {
    const sent = toServiceError(new Error('secret stack detail'), 'en');
    expect(sent.code).toBe(status.INTERNAL);
    expect(sent.details).toBe('Internal server error');
    expect(fromServiceError(sent)?.reason).toBe(Reason.InternalError);
  });

  it('returns undefined for errors without kompart details', () => {
    expect(fromServiceError(Object.assign(new Error('x'), { code: status.UNAVAILABLE, details: 'x' }))).toBeUndefined();
    expect(fromServiceError('nope')).toBeUndefined();
  });

  it.each([
    [Reason.PeerAlreadyRegistered, { peer: '1.2.3.4' }, 'Peer 1.2.3.4 já registrado', 'Peer 1.2.3.4 already registered'],
    [Reason.PeerNotRegistered, { peer: '1.2.3.4' }, 'Peer 1.2.3.4 não registrado', 'Peer 1.2.3.4 not registered'],
    [Reason.PeerNotRegistered, {}, 'Peer não registrado', 'Peer not registered'],
    [Reason.FileAlreadyRegistered, { file: '/a/b.txt' }, 'Arquivo /a/b.txt já registrado', 'File /a/b.txt already registered'],
    [Reason.PeerOffline, { peer: '1.2.3.4' }, 'Peer 1.2.3.4 offline', 'Peer 1.2.3.4 offline'],
    [Reason.FileUnavailable, {}, 'arquivo removido ou indisponível', 'file removed or unavailable'],
  ])('renders %s in both languages', (reason, params, pt, en) => {
    expect(messageFor(reason, params, 'pt')).toBe(pt);
    expect(messageFor(reason, params, 'en')).toBe(en);
  });
});
