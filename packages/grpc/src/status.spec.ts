import { status } from '@grpc/grpc-js';
import { KompartError, MAX_FAILURE_PARAM_CHARS } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { REASON_CODES, STATUS_DETAILS_KEY, fromServiceError, toServiceError } from './status.js';

describe('errors across the wire', () => {
  it('carries the reason and parameters through the status details', () => {
    const sent = toServiceError(new KompartError(Reason.PEER_OFFLINE, { peer: '127.0.0.3' }), 'pt');
    expect(sent.code).toBe(status.UNAVAILABLE);
    expect(sent.details).toBe('Peer 127.0.0.3 offline');
    const received = fromServiceError(sent);
    expect(received?.reason).toBe(Reason.PEER_OFFLINE);
    expect(received?.params).toEqual({ peer: '127.0.0.3' });
    expect(received?.render('en')).toBe('Peer 127.0.0.3 offline');
  });

  it('cuts every parameter to MAX_FAILURE_PARAM_CHARS before rendering or sending it', () => {
    const huge = 'x'.repeat(1024 * 1024);
    const sent = toServiceError(new KompartError(Reason.INVALID_ARGUMENT, { field: 'address', detail: huge }), 'en');
    const bounded = `${'x'.repeat(MAX_FAILURE_PARAM_CHARS)}…`;
    expect(sent.details).toBe(`Invalid request: ${bounded}`);
    const details = sent.metadata.get(STATUS_DETAILS_KEY)[0] as Buffer;
    expect(details.length).toBeLessThan(3 * MAX_FAILURE_PARAM_CHARS);
    expect(fromServiceError(sent)?.params).toEqual({ field: 'address', detail: bounded });
  });

  it('hides anything unexpected behind INTERNAL and a generic text', () => {
    const sent = toServiceError(new Error('secret stack detail'), 'en');
    expect(sent.code).toBe(status.INTERNAL);
    expect(sent.details).toBe('Internal server error');
    expect(fromServiceError(sent)?.reason).toBe(Reason.INTERNAL_ERROR);
  });

  it('sends a local failure, which has no place on the wire, as INTERNAL too', () => {
    const local = new KompartError('DISK_FULL', { path: '/x' }, { text: { pt: 'Disco cheio: {path}', en: 'Disk full: {path}' } });
    const sent = toServiceError(local, 'pt');
    expect(sent.code).toBe(status.INTERNAL);
    expect(sent.details).toBe('Erro interno do servidor');
  });

  it('maps a cancellation to CANCELLED', () => {
    const sent = toServiceError(Object.assign(new Error('gone'), { name: 'AbortError' }), 'pt');
    expect(sent.code).toBe(status.CANCELLED);
    expect(fromServiceError(sent)).toBeUndefined();
  });

  it('returns undefined for errors without kompart details', () => {
    expect(fromServiceError(Object.assign(new Error('x'), { code: status.UNAVAILABLE, details: 'x' }))).toBeUndefined();
    expect(fromServiceError('nope')).toBeUndefined();
  });

  it('gives every contract reason its code', () => {
    expect(Object.keys(REASON_CODES).sort()).toEqual(Object.keys(Reason).sort());
  });

  it.each([
    [Reason.PEER_ALREADY_REGISTERED, { peer: '1.2.3.4' }, 'Peer 1.2.3.4 já registrado', 'Peer 1.2.3.4 already registered'],
    [Reason.PEER_NOT_REGISTERED, { peer: '1.2.3.4' }, 'Peer 1.2.3.4 não registrado', 'Peer 1.2.3.4 not registered'],
    [Reason.PEER_NOT_REGISTERED, {}, 'Peer não registrado', 'Peer not registered'],
    [Reason.FILE_ALREADY_REGISTERED, { file: '/a/b.txt' }, 'Arquivo /a/b.txt já registrado', 'File /a/b.txt already registered'],
    [Reason.PEER_OFFLINE, { peer: '1.2.3.4' }, 'Peer 1.2.3.4 offline', 'Peer 1.2.3.4 offline'],
    [Reason.FILE_UNAVAILABLE, {}, 'arquivo removido ou indisponível', 'file removed or unavailable'],
    [Reason.FILE_NOT_REGISTERED, { file: '/a/b.txt' }, 'Arquivo /a/b.txt não registrado', 'File /a/b.txt not registered'],
  ])('renders %s in both languages, also after the trip', (reason, params, pt, en) => {
    const error = new KompartError(reason, params);
    expect(error.render('pt')).toBe(pt);
    expect(error.render('en')).toBe(en);
    expect(toServiceError(error, 'en').details).toBe(en);
    expect(fromServiceError(toServiceError(error, 'en'))?.render('pt')).toBe(pt);
  });
});
