import { MIN_HASH_PREFIX } from '@kompart/protocol';

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const HEX = /^[0-9a-fA-F]+$/;

/** True for exactly 64 hexadecimal digits (either case). */
export function isSha256(text: string): boolean {
  return SHA256_HEX.test(text);
}

/** True for 1 to 64 hexadecimal digits. */
export function isHexPrefix(text: string): boolean {
  return text.length <= 64 && HEX.test(text);
}

/** True when `text` may name a file by hash: 8 to 64 hexadecimal digits. */
export function isHashReference(text: string): boolean {
  return text.length >= MIN_HASH_PREFIX && isHexPrefix(text);
}
