import type { DownloadMessage } from '../../src/transfer/download-file';

/** Every chunk's bytes of a download source, each chunk released as the downloader would. */
export async function downloadedBytes(source: AsyncIterable<DownloadMessage>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const message of source) {
    if (message.type !== 'chunk') continue;
    parts.push(Buffer.from(message.data));
    message.release?.();
  }
  return Buffer.concat(parts);
}
