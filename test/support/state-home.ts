import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Set by the setup: the folder it made (the teardown runs in the same process). */
const MADE = 'KOMPART_TEST_STATE_HOME';

/**
 * Jest global setup: every peer a test starts without `--identity` (in the workers, or in
 * the `kompart` processes they spawn, which inherit the environment) keeps its identity
 * under a fresh `XDG_STATE_HOME`, never in the user's own ~/.local/state.
 */
export default function stateHome(): void {
  const dir = mkdtempSync(join(tmpdir(), 'kompart-state-'));
  process.env['XDG_STATE_HOME'] = dir;
  process.env[MADE] = dir;
}

/** Jest global teardown: removes the folder the setup made. */
export function removeStateHome(): void {
  const dir = process.env[MADE];
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
