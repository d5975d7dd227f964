import { randomBytes } from 'node:crypto';
import { DownloadResponse } from '@kompart/protocol';
import { chunkFrame, deserializeDownloadResponse, EncodedResponse, serializeDownloadResponse } from './download-codec';

describe('download codec', () => {
  it.each([0, 1, 127, 128, 16_383, 16_384, 65_536, 1024 * 1024, 2_097_151, 2_097_152])(
    'frames a %i-byte chunk exactly as the generated encoder does',
    (length) => {
      const payload = randomBytes(length);
      const { buffer, payloadOffset } = chunkFrame(length);
      payload.copy(buffer, payloadOffset);
      const reference = Buffer.from(DownloadResponse.encode({ payload: { $case: 'chunk', value: payload } }).finish());
      expect(serializeDownloadResponse(new EncodedResponse(buffer)).equals(reference)).toBe(true);
      const decoded = deserializeDownloadResponse(buffer);
      expect(decoded.payload?.$case).toBe('chunk');
      expect(Buffer.from(decoded.payload!.value as Buffer).equals(payload)).toBe(true);
    },
  );

  it('leaves headers and anything unusual to the generated code', () => {
    const header = { payload: { $case: 'header' as const, value: { name: 'a', path: '/a', size: 3, sha256: 'f'.repeat(64), offset: 0 } } };
    const bytes = serializeDownloadResponse(header);
    expect(deserializeDownloadResponse(bytes)).toEqual(header);
    // A chunk followed by another field is not the fast shape: decoded the slow way, last field wins.
    const mixed = Buffer.concat([bytes, Buffer.from(DownloadResponse.encode({ payload: { $case: 'chunk', value: Buffer.from('xy') } }).finish())]);
    expect(deserializeDownloadResponse(Buffer.concat([Buffer.from([0x12, 0x01, 0x41]), bytes])).payload?.$case).toBe('header');
    expect(deserializeDownloadResponse(mixed).payload?.$case).toBe('chunk');
  });
});
