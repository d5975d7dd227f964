import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status as grpcStatus, type ServerInterceptor } from '@grpc/grpc-js';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Bucket bounds of `grpc_server_handling_seconds`, seconds: from a fast unary call to a long download or stream. */
const HANDLING_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The RPC type label of the conventional gRPC server metrics. */
type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

const CODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(grpcStatus)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
    .map(([name, code]) => [code, name]),
);

/**
 * A grpc-js server interceptor that counts every call under the conventional names of the
 * gRPC server metrics (those of go-grpc-prometheus and its kin), so that existing
 * dashboards and alerts work unchanged:
 *
 * - `grpc_server_started_total{grpc_service,grpc_method,grpc_type}`: calls started;
 * - `grpc_server_handled_total{grpc_service,grpc_method,grpc_type,grpc_code}`: calls ended,
 *   by status code name (`OK`, `NOT_FOUND`, …; a call the client cancelled counts as
 *   `CANCELLED`);
 * - `grpc_server_msg_received_total` and `grpc_server_msg_sent_total`: stream messages;
 * - `grpc_server_handling_seconds{grpc_service,grpc_method,grpc_type}`: a histogram of the
 *   time from the start of a call to its status.
 *
 * `grpc_service` is the fully qualified service (`kompart.v1.Registry`), `grpc_method` the
 * method (`RegisterPeer`).
 */
export function grpcServerMetrics(register: Registry): ServerInterceptor {
  const registers = [register];
  const labels = ['grpc_service', 'grpc_method', 'grpc_type'] as const;
  const started = new Counter({ name: 'grpc_server_started_total', help: 'RPCs started on the server.', labelNames: labels, registers });
  const handled = new Counter({
    name: 'grpc_server_handled_total',
    help: 'RPCs completed on the server, whatever their status code.',
    labelNames: [...labels, 'grpc_code'],
    registers,
  });
  const received = new Counter({ name: 'grpc_server_msg_received_total', help: 'Stream messages received from clients.', labelNames: labels, registers });
  const sent = new Counter({ name: 'grpc_server_msg_sent_total', help: 'Stream messages sent to clients.', labelNames: labels, registers });
  const seconds = new Histogram({
    name: 'grpc_server_handling_seconds',
    help: 'Time from the start of an RPC to its status, seconds.',
    labelNames: labels,
    buckets: HANDLING_BUCKETS,
    registers,
  });

  return (method, call) => {
    const slash = method.path.lastIndexOf('/');
    const base = {
      grpc_service: method.path.slice(1, slash),
      grpc_method: method.path.slice(slash + 1),
      grpc_type: grpcType(method.requestStream, method.responseStream),
    };
    const stopTimer = seconds.startTimer(base);
    let ended = false;
    const end = (code: number): void => {
      if (ended) return;
      ended = true;
      handled.inc({ ...base, grpc_code: CODE_NAMES.get(code) ?? String(code) });
      stopTimer();
    };
    started.inc(base);
    return new ServerInterceptingCall(
      call,
      new ResponderBuilder()
        .withStart((next) => {
          next(
            new ServerListenerBuilder()
              .withOnReceiveMessage((message, nextMessage) => {
                if (method.requestStream) received.inc(base);
                nextMessage(message);
              })
              .withOnCancel(() => end(grpcStatus.CANCELLED))
              .build(),
          );
        })
        .withSendMessage((message, next) => {
          if (method.responseStream) sent.inc(base);
          next(message);
        })
        .withSendStatus((status, next) => {
          end(status.code);
          next(status);
        })
        .build(),
    );
  };
}

function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}
