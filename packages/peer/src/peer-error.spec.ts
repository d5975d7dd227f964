import { KompartError, describeError } from '@kompart/core';
import { hasTemplateLeft, renderedCatalogue } from '@kompart/core/testing';
import { Reason } from '@kompart/protocol';
import { PeerErrorCode, isPeerError, peerError, peerErrorTexts } from './peer-error.js';

describe('peer errors', () => {
  it('renders the contract texts', () => {
    expect(describeError(peerError(PeerErrorCode.NOT_REGISTERED), 'pt')).toBe('Peer não registrado');
    expect(describeError(peerError(PeerErrorCode.NOT_REGISTERED), 'en')).toBe('Peer not registered');
    expect(describeError(new KompartError(Reason.PEER_NOT_REGISTERED, { peer: '127.0.0.2' }), 'pt')).toBe('Peer 127.0.0.2 não registrado');
  });

  it('renders anything else without a stack', () => {
    expect(describeError(new Error('boom'), 'en')).toBe('Unexpected error: boom');
  });

  it('tells local failures from the registry reasons', () => {
    expect(isPeerError(peerError(PeerErrorCode.DISK_FULL, { path: '/x' }), PeerErrorCode.DISK_FULL)).toBe(true);
    expect(isPeerError(peerError(PeerErrorCode.DISK_FULL, { path: '/x' }), PeerErrorCode.DISK_ERROR)).toBe(false);
    expect(isPeerError(new KompartError(Reason.PEER_OFFLINE, { peer: '127.0.0.3' }))).toBe(false);
  });

  it.each(renderedCatalogue('peerErrorTexts', peerErrorTexts))('%s renders with every placeholder filled', (_name, line) => {
    expect(hasTemplateLeft(line)).toBe(false);
  });
});
