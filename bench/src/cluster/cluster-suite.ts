import type { BenchContext } from '../lib/context.js';
import { BenchRedis } from '../lib/redis.js';
import type { Row } from '../lib/report.js';
import { clusterPresenceRows } from './cluster-presence.js';
import { clusterRpcRows } from './cluster-rpc.js';

/**
 * Issue 15 item 8 (rows numbered 7): the registry as several replicas on one Redis. Part
 * `rpc`: RegisterFile and LocateFile against the memory store; part `presence`: a crowd of
 * heartbeat streams spread over three replicas, and how fast a crash or a silence on one
 * replica reaches a peer on another. Each part has a redis-server of its own, so that the
 * memory and CPU figures of the second are not those of the first part's million files.
 * `KOMPART_BENCH_CLUSTER_PARTS=presence` runs one part only (focused runs).
 */
const PARTS = {
  rpc: clusterRpcRows,
  presence: clusterPresenceRows,
} as const;

export async function runClusterSuite(context: BenchContext): Promise<Row[]> {
  const chosen = process.env['KOMPART_BENCH_CLUSTER_PARTS']?.split(',') ?? Object.keys(PARTS);
  const rows: Row[] = [];
  for (const [name, part] of Object.entries(PARTS)) {
    if (!chosen.includes(name)) continue;
    const redis = await BenchRedis.start();
    try {
      rows.push(...(await part(context, redis)));
    } finally {
      await redis.stop();
    }
  }
  return rows;
}
