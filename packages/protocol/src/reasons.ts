import { ErrorReason } from './gen/kompart/v1/registry.js';

/** `ERROR_REASON_PEER_OFFLINE` → `PEER_OFFLINE`; `UNSPECIFIED` and unknown names drop out. */
type ReasonName<K> = K extends `ERROR_REASON_${infer R}` ? (R extends 'UNSPECIFIED' ? never : R) : never;

/**
 * A machine-readable reason, as sent in google.rpc.ErrorInfo.reason: the name of an
 * `ErrorReason` value of registry.proto without its prefix. Derived from the generated
 * enum, so a reason added to the .proto is a reason here, with nothing copied by hand.
 */
export type Reason = ReasonName<keyof typeof ErrorReason>;

const PREFIX = 'ERROR_REASON_';

/** Every reason, keyed by itself: `Reason.PEER_OFFLINE === 'PEER_OFFLINE'`. */
export const Reason = Object.freeze(
  Object.fromEntries(
    Object.keys(ErrorReason)
      .filter((name) => name.startsWith(PREFIX) && name !== `${PREFIX}UNSPECIFIED`)
      .map((name) => [name.slice(PREFIX.length), name.slice(PREFIX.length)]),
  ),
) as { readonly [R in Reason]: R };

const KNOWN: ReadonlySet<string> = new Set(Object.keys(Reason));

/** True for the reasons of the contract (what a client may find in ErrorInfo.reason). */
export function isReason(value: string): value is Reason {
  return KNOWN.has(value);
}
