// Container health check (plain JavaScript, run by the image's HEALTHCHECK).
//   KOMPART_HEALTH=registry:HOST:PORT  -> grpc.health.v1.Health/Check must answer SERVING
//   KOMPART_HEALTH=peer:HOST:PORT      -> the peer's FileService port accepts a connection, and
//                                         its KOMPART_READY_FILE (when set) exists: the peer
//                                         registered itself and its --share paths
'use strict';
const net = require('node:net');
const spec = process.env.KOMPART_HEALTH || 'registry:127.0.0.1:50051';
const [kind, ...rest] = spec.split(':');
const target = rest.join(':');
const fail = (why) => {
  console.error(`unhealthy: ${why}`);
  process.exit(1);
};
setTimeout(() => fail('timeout'), 2500).unref();

if (kind === 'registry') {
  const grpc = require('@grpc/grpc-js');
  const { service } = require('grpc-health-check');
  const Client = grpc.makeGenericClientConstructor(service, 'Health');
  const client = new Client(target, grpc.credentials.createInsecure());
  client.check({ service: '' }, (error, response) => {
    if (error) fail(error.message);
    else if (response.status !== 'SERVING' && response.status !== 1) fail(`status ${response.status}`);
    else process.exit(0);
  });
} else if (kind === 'peer') {
  const ready = process.env.KOMPART_READY_FILE;
  if (ready && !require('node:fs').existsSync(ready)) fail(`not ready yet (${ready} missing)`);
  const at = target.lastIndexOf(':');
  const socket = net.connect({ host: target.slice(0, at), port: Number(target.slice(at + 1)) }, () => {
    socket.end();
    process.exit(0);
  });
  socket.on('error', (error) => fail(error.message));
} else {
  fail(`unknown KOMPART_HEALTH ${spec}`);
}
