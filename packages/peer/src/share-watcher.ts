import { watch as watchFolder } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Where a watch reports. */
export interface WatchListener {
  /**
   * Something happened at `path`, an absolute path under the root or the root itself: it was
   * created, written, removed, renamed or had its permissions changed. For a folder it may
   * stand for what is under it too (a folder moved in or away is one event).
   */
  change(path: string): void;
  /** The watch cannot do its work (e.g. ENOSPC: the system's limit of inotify watches was reached). */
  error(detail: string): void;
}

/** A watch in place; `close` ends it. */
export interface WatchHandle {
  close(): Promise<void>;
}

/**
 * Starts watching `root`, a regular file (`kind` `file`) or a folder with everything under
 * it, and resolves once the watch is in place (changes made from then on are reported).
 * Nothing is reported for what is already there. Events are hints: LiveShares looks at the
 * path itself before doing anything, so a watch may report too much, or a change twice.
 */
export type WatchFunction = (root: string, kind: 'file' | 'directory', listener: WatchListener) => Promise<WatchHandle>;

type ParcelWatcher = typeof import('@parcel/watcher');
let parcel: Promise<ParcelWatcher> | undefined;

/**
 * The default watch. A folder: @parcel/watcher (native; on Linux one inotify watch per
 * folder under the root, none per file; new subfolders are watched as they appear; events
 * come in batches). It is loaded on first use, so a platform without its prebuilt binary
 * still runs a peer, with a `watch-error` for each folder. A single file: one inotify watch
 * on its folder (Node's fs.watch, not recursive), filtered to the file's name, so that the
 * file being replaced (an editor saving through a rename), deleted or created again is seen.
 */
export const defaultWatch: WatchFunction = async (root, kind, listener) => {
  if (kind === 'file') return watchOneFile(root, listener);
  parcel ??= import('@parcel/watcher');
  const { subscribe } = await parcel.catch((error: unknown) => {
    parcel = undefined;
    throw error;
  });
  const subscription = await subscribe(root, (error, events) => {
    if (error !== null) listener.error(error.message);
    for (const event of events) listener.change(event.path);
  });
  return { close: () => subscription.unsubscribe() };
};

function watchOneFile(path: string, listener: WatchListener): Promise<WatchHandle> {
  const name = basename(path);
  const watcher = watchFolder(dirname(path), { persistent: false }, (_type, changed) => {
    // No name given (the kernel dropped it): it may be ours.
    if (changed === null || changed === name) listener.change(join(dirname(path), name));
  });
  watcher.on('error', (error) => listener.error(error.message));
  return Promise.resolve({
    close: () => {
      watcher.close();
      return Promise.resolve();
    },
  });
}
