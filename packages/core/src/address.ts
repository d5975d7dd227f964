import { isIP } from 'node:net';
import { MAX_ADDRESS_LENGTH } from '@kompart/protocol';
import { quoteInput } from './quote-input.js';

/** A parsed `host[:port]` address. */
export interface Endpoint {
  /** Host as given: an IPv4 address, a bracket-less IPv6 address or a host name. */
  readonly host: string;
  readonly port: number;
  /** The identity form: `host` when the port is the default one, `host:port` otherwise. */
  readonly id: string;
  /** What to dial or bind: `host:port` (`[v6]:port` for IPv6). */
  readonly target: string;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Why an address was refused, as a short English phrase for logs and ErrorInfo. It quotes
 * at most a short prefix of the input (quoteInput), whatever its length.
 */
export class AddressError extends Error {
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`invalid address "${quoteInput(input)}": ${detail}`);
    this.name = 'AddressError';
  }
}

/** Longest address input looked at, surrounding spaces included (longer is refused unread). */
const MAX_RAW_ADDRESS_LENGTH = 2 * MAX_ADDRESS_LENGTH;

/** Options of parseEndpoint. */
export interface EndpointOptions {
  /** Accept port 0 ("any free port"), for addresses to listen on. */
  readonly allowPortZero?: boolean;
}

/**
 * Parses `host`, `host:port`, `[v6]` or `[v6]:port`. Surrounding spaces are ignored.
 * Throws AddressError for anything else (empty, too long, bad port, bad host).
 */
export function parseEndpoint(input: string, defaultPort: number, options: EndpointOptions = {}): Endpoint {
  // Refused before any work on it: no trimming or matching of a megabyte of text.
  if (input.length > MAX_RAW_ADDRESS_LENGTH) throw new AddressError(input, 'too long');
  const text = input.trim();
  if (text.length === 0) throw new AddressError(input, 'empty');
  if (text.length > MAX_ADDRESS_LENGTH) throw new AddressError(input, 'too long');
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new AddressError(input, 'unclosed [');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest.length > 0) {
      if (!rest.startsWith(':')) throw new AddressError(input, 'unexpected text after ]');
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) throw new AddressError(input, 'not an IPv6 address');
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else {
      host = text;
    }
    if (isIP(host) !== 4 && !HOST_NAME.test(host)) throw new AddressError(input, 'not an IP address or host name');
    if (/^[0-9.]+$/.test(host) && isIP(host) !== 4) throw new AddressError(input, 'not an IPv4 address');
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) throw new AddressError(input, 'port must be a number');
    port = Number(portText);
    if (port < (options.allowPortZero ? 0 : 1) || port > 65535) throw new AddressError(input, 'port out of range 1-65535');
  }
  return endpointAt(host, port, defaultPort);
}

/**
 * The Endpoint of a host (as parseEndpoint gives it: an IPv4 address, a bracket-less IPv6
 * address or a name) and a port, without parsing anything: for a port learnt at run time
 * (the one bound when 0 was asked).
 */
export function endpointAt(host: string, port: number, defaultPort: number): Endpoint {
  const v6 = isIP(host) === 6;
  const hostPort = `${v6 ? `[${host}]` : host}:${port}`;
  return { host, port, id: port === defaultPort ? (v6 ? `[${host}]` : host) : hostPort, target: hostPort };
}

/**
 * Parses a comma-separated list of addresses (`10.0.0.1,10.0.0.2:6000`), each as
 * parseEndpoint does; several registry replicas are given this way. Throws AddressError for
 * an empty list, an empty entry or a bad address.
 */
export function parseEndpointList(input: string, defaultPort: number, options: EndpointOptions = {}): Endpoint[] {
  const entries = input.split(',');
  if (entries.length > 1 && entries.some((entry) => entry.trim() === '')) throw new AddressError(input, 'empty entry in the list');
  return entries.map((entry) => parseEndpoint(entry, defaultPort, options));
}
