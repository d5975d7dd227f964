import { KompartError, Reason } from '@kompart/protocol';
import { describeError, PeerError, PeerErrorCode } from './peer-error';

describe('describeError', () => {
  it('renders the contract texts', () => {
    expect(describeError(new PeerError(PeerErrorCode.NotRegistered), 'pt')).toBe('Peer não registrado');
    expect(describeError(new PeerError(PeerErrorCode.NotRegistered), 'en')).toBe('Peer not registered');
    expect(describeError(new KompartError(Reason.PeerNotRegistered, { peer: '127.0.0.2' }), 'pt')).toBe('Peer 127.0.0.2 não registrado');
  });

  it('renders anything else without a stack', () => {
    expect(describeError(new Error('boom'), 'en')).toBe('Unexpected error: boom');
  });
});
