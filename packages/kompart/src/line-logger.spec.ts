import { createLineLogger } from './line-logger';

const at = new Date(2026, 10, 27, 14, 3, 7, 120).getTime();

describe('createLineLogger', () => {
  it('writes readable lines at or above the level', () => {
    const lines: string[] = [];
    const logger = createLineLogger({ level: 'info', json: false, write: (line) => lines.push(line), clock: () => at });
    logger.debug({}, 'hidden');
    logger.info({ peer: '127.0.0.2' }, 'Peer 127.0.0.2 registrado');
    logger.error({ err: new Error('boom') }, 'Erro interno em ListFiles');
    expect(lines).toEqual(['14:03:07 INFO Peer 127.0.0.2 registrado', '14:03:07 ERROR Erro interno em ListFiles (boom)']);
  });

  it('writes JSON lines with the fields, bigints and errors', () => {
    const lines: string[] = [];
    const logger = createLineLogger({ level: 'debug', json: true, write: (line) => lines.push(line), clock: () => at });
    logger.debug({ size: 5n, err: new TypeError('bad') }, 'x');
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ time: new Date(at).toISOString(), level: 'debug', size: '5', msg: 'x' });
    expect(record['err']).toMatchObject({ type: 'TypeError', message: 'bad' });
  });

  it('drops everything when silent', () => {
    const lines: string[] = [];
    const logger = createLineLogger({ level: 'silent', json: false, write: (line) => lines.push(line) });
    logger.error({}, 'x');
    expect(lines).toEqual([]);
  });
});
