import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServerCertificateCheck } from '@kompart/grpc';
import { PeerErrorCode, peerError } from './peer-error.js';

/**
 * How a peer trusts a registry that serves TLS with a self-signed certificate (`kompart
 * <ip> s --tls auto`), in the manner of SSH's known_hosts:
 * - `fingerprint` (`--registry-fingerprint`): only the certificate with this SHA-256, on
 *   every replica; the known-registries file is not consulted;
 * - otherwise `knownFile`: the first certificate a registry address presents is trusted
 *   and written there (`<address:port> <sha256 hex>`, one line each); a different one
 *   later is refused (REGISTRY_CERTIFICATE_CHANGED) until its line is removed.
 */
export type RegistryTrust = { readonly fingerprint: Buffer } | { readonly knownFile: string };

/** The entries of a known-registries file (address → fingerprint hex); a missing file has none. */
function readKnown(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const known = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [address, hex] = line.trim().split(/\s+/);
    if (address === undefined || address === '' || address.startsWith('#') || hex === undefined) continue;
    if (!known.has(address)) known.set(address, hex.toLowerCase());
  }
  return known;
}

/**
 * The check a peer's registry channel runs on every connection (see RegistryTrust).
 * `onTrusted` hears each address trusted on first use. A refusal is a PeerError with its
 * text; the channel keeps it, and the failed call reports it instead of "unreachable".
 */
export function registryCertificateCheck(trust: RegistryTrust, onTrusted: (server: string, fingerprint: string, file: string) => void): ServerCertificateCheck {
  return (server, fingerprint) => {
    const presented = fingerprint.toString('hex');
    if ('fingerprint' in trust) {
      if (fingerprint.equals(trust.fingerprint)) return undefined;
      return peerError(PeerErrorCode.REGISTRY_CERTIFICATE_MISMATCH, { server, expected: trust.fingerprint.toString('hex'), presented });
    }
    const file = trust.knownFile;
    let known: Map<string, string>;
    try {
      known = readKnown(file);
    } catch (error) {
      return peerError(PeerErrorCode.KNOWN_REGISTRIES_UNUSABLE, { path: file, detail: (error as NodeJS.ErrnoException).code ?? String(error) });
    }
    const remembered = known.get(server);
    if (remembered === presented) return undefined;
    if (remembered !== undefined) return peerError(PeerErrorCode.REGISTRY_CERTIFICATE_CHANGED, { server, known: remembered, presented, file });
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      appendFileSync(file, `${server} ${presented}\n`, { mode: 0o600 });
    } catch (error) {
      return peerError(PeerErrorCode.KNOWN_REGISTRIES_UNUSABLE, { path: file, detail: (error as NodeJS.ErrnoException).code ?? String(error) });
    }
    onTrusted(server, presented, file);
    return undefined;
  };
}
