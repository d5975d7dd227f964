import type { ServiceDefinition } from '@grpc/grpc-js';

const MALFORMED = Symbol('kompart.malformedRequest');

/** What a tolerant deserializer yields for bytes that are not a valid request message. */
export interface MalformedRequest {
  readonly [MALFORMED]: string;
}

/** True when a request could not be decoded (see tolerantService). */
export function isMalformed(request: unknown): request is MalformedRequest {
  return typeof request === 'object' && request !== null && MALFORMED in request;
}

/** The decoder's complaint about a malformed request. */
export function malformedDetail(request: MalformedRequest): string {
  return request[MALFORMED];
}

/**
 * grpc-js answers a request it cannot decode with INTERNAL ("Error deserializing
 * request"). A kompart server wraps its service definition with this function so that
 * such bytes reach the handler as a MalformedRequest, which the handler answers with
 * INVALID_ARGUMENT like any other bad input (a 64-bit size beyond 2^53 is one such case).
 */
export function tolerantService<S extends ServiceDefinition>(definition: S): S {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return { [MALFORMED]: error instanceof Error ? error.message : String(error) } satisfies MalformedRequest;
        }
      },
    };
  }
  return wrapped as S;
}
