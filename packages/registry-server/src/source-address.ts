import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { KompartError, type Endpoint } from '@kompart/core';
import { Reason } from '@kompart/protocol';

/** The IP of a grpc-js call's remote end (`127.0.0.1:4000`, `ipv4:…`, `[::1]:4000`). */
export function sourceIp(callPeer: string): string {
  let text = callPeer.replace(/^ipv[46]:/, '');
  if (text.startsWith('[')) text = text.slice(1, text.indexOf(']'));
  else if (isIP(text) === 0) text = text.slice(0, text.lastIndexOf(':'));
  return text.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || /^127\./.test(ip);
}

/**
 * Checks that a peer registering `peer` really is at that address,
 * as far as the registry can see: the connection must come from the peer's IP. Two
 * relaxations: a connection from a loopback address may register any loopback address
 * (one machine, several peers on 127.0.0.x: the kernel uses 127.0.0.1 as the source),
 * and host names are resolved first. NAT and some container setups hide the real source:
 * the registry's `trustPeerAddresses` setting turns the check off there.
 */
export async function checkSourceAddress(peer: Endpoint, callPeer: string): Promise<void> {
  const seen = sourceIp(callPeer);
  const host = peer.host;
  if (isLoopback(seen) && (isLoopback(host) || host === 'localhost')) return;
  if (host === seen) return;
  if (isIP(host) === 0) {
    const resolved = await lookup(host, { all: true }).catch(() => []);
    if (resolved.some((entry) => entry.address === seen)) return;
  }
  throw new KompartError(Reason.ADDRESS_MISMATCH, { peer: peer.id, seen });
}
