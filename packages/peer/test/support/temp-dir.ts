import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under os.tmpdir(); `remove()` deletes it with everything in it. */
export interface TempDir {
  readonly path: string;
  join(...parts: string[]): string;
  remove(): void;
}

export function makeTempDir(prefix = 'kompart-peer-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    join: (...parts) => join(path, ...parts),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
