import { Counter, Gauge, type Registry } from 'prom-client';
import type { DirectoryEvent, PeerDirectory } from './peer-directory.js';
import type { ServiceObserver } from './registry-service.js';

export interface RegistryMetricsOptions {
  readonly register: Registry;
  readonly directory: PeerDirectory;
  /** The registry's identity (the same on every replica of one registry). */
  readonly registry: string;
  /** Heartbeat streams open on this replica, read at each scrape. */
  readonly streamsOpen: () => number;
  /** Of them, those that take several events in one message. */
  readonly streamsBatching: () => number;
}

/**
 * The registry's own metrics, beside the gRPC server metrics and Node's process metrics.
 *
 * Counters and `kompart_registry_heartbeat_streams_open` are this replica's: summed over
 * the replicas of one registry they give the registry's totals. The two index gauges,
 * `kompart_registry_index_peers` and `kompart_registry_index_files`, are the registry's
 * (read from the shared store, the same on every replica at one moment): they carry the
 * label `registry` (the registry instance every replica shares) so that they are
 * aggregated with `max by (registry) (…)`, never summed over replicas.
 */
export function registryMetrics(options: RegistryMetricsOptions): ServiceObserver {
  const { register, directory } = options;
  const registers = [register];
  new Gauge({
    name: 'kompart_registry_index_peers',
    help: 'Peers online in the whole registry (every replica reports the same value: take max by (registry), not sum).',
    labelNames: ['registry'],
    registers,
    async collect() {
      const { peers } = await directory.counts();
      this.set({ registry: options.registry }, peers);
    },
  });
  new Gauge({
    name: 'kompart_registry_index_files',
    help: 'Files shared by online peers in the whole registry (every replica reports the same value: take max by (registry), not sum).',
    labelNames: ['registry'],
    registers,
    async collect() {
      const { files } = await directory.counts();
      this.set({ registry: options.registry }, files);
    },
  });
  new Gauge({
    name: 'kompart_registry_heartbeat_streams_open',
    help: 'Heartbeat streams open on this replica (one per peer it serves).',
    registers,
    collect() {
      this.set(options.streamsOpen());
    },
  });
  new Gauge({
    name: 'kompart_registry_heartbeat_streams_batching',
    help: 'Heartbeat streams open on this replica that take several events in one message (kompart-event-batches: 1, as kompart peers open theirs); the others (grpcurl, older peers) get one message per event.',
    registers,
    collect() {
      this.set(options.streamsBatching());
    },
  });
  const changes = new Counter({
    name: 'kompart_registry_index_changes_total',
    help: 'Changes this replica made to the index, by event type (peer-joined, peer-left, peer-expired, file-registered, file-unregistered).',
    labelNames: ['type'],
    registers,
  });
  const expiries = new Counter({ name: 'kompart_registry_expiries_total', help: 'Peers this replica removed for missing their heartbeats.', registers });
  const fannedOut = new Counter({
    name: 'kompart_registry_events_fanned_out_total',
    help: 'Events pushed on the Heartbeat streams of this replica (one per event and receiving peer, several of them in one message or not).',
    registers,
  });
  const tickets = new Counter({ name: 'kompart_registry_tickets_issued_total', help: 'Download tickets handed out by LocateFile on this replica.', registers });
  const beats = new Counter({ name: 'kompart_registry_heartbeats_total', help: 'Heartbeats received on this replica.', registers });
  const transfers = new Counter({
    name: 'kompart_registry_transfer_reports_total',
    help: 'Download reports received on the Heartbeat streams of this replica, by state (active, done, failed).',
    labelNames: ['state'],
    registers,
  });
  const refusals = new Counter({
    name: 'kompart_registry_refusals_total',
    help: 'Calls this replica refused, by method and reason (the ErrorInfo reason): the limits (REGISTRATION_RATE_EXCEEDED, SESSIONS_PER_IP_EXCEEDED, REGISTRY_PEERS_FULL, REGISTRY_FILES_FULL, LIMIT_EXCEEDED), bad requests, unknown sessions, files not found, and STORE_UNAVAILABLE and SHUTTING_DOWN (the replica could not serve).',
    labelNames: ['method', 'reason'],
    registers,
  });
  directory.on('event', (event: DirectoryEvent) => {
    if (!event.local) return;
    changes.inc({ type: event.type });
    if (event.type === 'peer-expired') expiries.inc();
  });
  return {
    beat: () => beats.inc(),
    fannedOut: (messages) => fannedOut.inc(messages),
    ticketIssued: () => tickets.inc(),
    refused: (method, reason) => refusals.inc({ method, reason }),
    transfers: (reports) => {
      for (const report of reports) transfers.inc({ state: report.state });
    },
  };
}
