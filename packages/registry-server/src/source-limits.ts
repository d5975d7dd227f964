import { isIP } from 'node:net';

/**
 * The key a source of RegisterPeer calls is counted under (issue 20 item 3), so that one
 * host cannot fill the registry with identities: an IPv4 address, or the /64 of an IPv6 one
 * (one host is given a whole /64). The store keeps the counts (RegistryStore.openSession,
 * admitRegistration), so they hold over every replica.
 */
export function sourceKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
