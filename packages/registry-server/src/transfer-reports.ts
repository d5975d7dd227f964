import { isSha256 } from '@kompart/core';
import { MAX_FILE_SIZE, TransferState, type TransferReport } from '@kompart/protocol';
import { peerAddress } from './validation.js';

/** Reports one HeartbeatRequest may carry; the rest of a longer list is ignored. */
const MAX_TRANSFER_REPORTS = 64;

/** One download as a peer reported it (see TransferReport in registry.proto), checked. */
export interface Transfer {
  /** The downloading peer (the session whose stream carried the report). */
  readonly downloader: string;
  /** The downloader's id of this download. */
  readonly id: string;
  readonly holder: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  readonly received: number;
  readonly state: 'active' | 'done' | 'failed';
  readonly bytesPerSecond: number;
}

const STATES: ReadonlyMap<TransferState, Transfer['state']> = new Map([
  [TransferState.TRANSFER_STATE_ACTIVE, 'active'],
  [TransferState.TRANSFER_STATE_DONE, 'done'],
  [TransferState.TRANSFER_STATE_FAILED, 'failed'],
]);

/**
 * The reports of one message that keep the rules of TransferReport, as Transfers of
 * `downloader`; a report that breaks one (an id too long, a holder that is no address, a
 * malformed hash, a name with control characters, more bytes received than the size) is
 * left out. Nothing here is trusted beyond being well-formed: it is what the peer says.
 */
export function checkedTransfers(downloader: string, reports: readonly TransferReport[]): Transfer[] {
  const out: Transfer[] = [];
  for (const report of reports.slice(0, MAX_TRANSFER_REPORTS)) {
    const transfer = checked(downloader, report);
    if (transfer !== undefined) out.push(transfer);
  }
  return out;
}

function checked(downloader: string, report: TransferReport): Transfer | undefined {
  const state = STATES.get(report.state);
  if (state === undefined) return undefined;
  if (report.id.length < 1 || report.id.length > 64 || /[\u0000-\u001f\u007f]/.test(report.id)) return undefined;
  if (Buffer.byteLength(report.name, 'utf8') > 255 || /[\u0000-\u001f\u007f/]/.test(report.name)) return undefined;
  if (!isSha256(report.sha256)) return undefined;
  const numbers = [report.size, report.received, report.bytesPerSecond];
  if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_FILE_SIZE) || report.received > report.size) return undefined;
  let holder: string;
  try {
    holder = peerAddress('holder', report.holder);
  } catch {
    return undefined;
  }
  return {
    downloader,
    id: report.id,
    holder,
    name: report.name,
    sha256: report.sha256.toLowerCase(),
    size: report.size,
    received: report.received,
    state,
    bytesPerSecond: report.bytesPerSecond,
  };
}
