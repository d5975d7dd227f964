import { join, relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KompartError, backoffDelay, describeError, isKompartError, quoteInput, render, sharedTexts, type Lang, type Logger, type Text } from '@kompart/core';
import { PeerErrorCode, isPeerError, type ListFilesFilter, type Peer, type PeerEvent, type RegisterProgress, type UnregisteredFile } from '@kompart/peer';
import { Reason, type SharedFile } from '@kompart/protocol';
import { COMMAND_WORDS, parseCommand, type Command, type ListFilter, type UsageTopic } from './commands.js';
import { describeEvent } from './event-lines.js';
import { formatBytes, formatElapsed, formatRate } from './format.js';
import type { Output } from './output.js';
import type { Progress, ProgressTask } from './progress.js';
import { cliTexts } from './texts.js';

/** How a command ended: `exit` and `menu` ask the caller to leave or to switch to the menu. */
export type Outcome = 'ok' | 'failed' | 'exit' | 'menu';

export interface PeerShellOptions {
  readonly peer: Peer;
  readonly output: Output;
  /** Bars on a terminal, nothing elsewhere (start and finish lines are printed anyway). */
  readonly progress: Progress;
  readonly lang: Lang;
  /** The registry as the user named it, for messages. */
  readonly server: string;
  /** Whether `menu` can switch to the inquirer menu (a terminal, not --json). */
  readonly menuAvailable: boolean;
  readonly logger: Logger;
  /** Folder relative paths are resolved against. */
  readonly cwd: string;
}

/** The usage line of each usage topic, and its name in --json. */
const USAGE: Readonly<Record<UsageTopic, { readonly text: Text; readonly command: string }>> = {
  register: { text: cliTexts.usageRegister, command: 'register' },
  'register-file': { text: cliTexts.usageRegisterFile, command: COMMAND_WORDS['register-file'] },
  'unregister-file': { text: cliTexts.usageUnregisterFile, command: COMMAND_WORDS['unregister-file'] },
  'list-files': { text: cliTexts.usageListFiles, command: COMMAND_WORDS['list-files'] },
  'get-file': { text: cliTexts.usageGetFile, command: COMMAND_WORDS['get-file'] },
};

/** The registry's filter for `list files <argument>`. */
function listFilterOf(filter: ListFilter | undefined): ListFilesFilter {
  switch (filter?.kind) {
    case undefined:
      return {};
    case 'holder':
      return { holder: filter.value };
    case 'hash':
      return { sha256Prefix: filter.value };
    case 'name':
      return { nameContains: filter.value };
  }
}

/** Files of one folder download in flight at once. */
const FOLDER_DOWNLOADS = 4;

/**
 * The files of `holder` under `folder` (`/srv/music/`: that path; `music/`: the one folder
 * of that name among the holder's files), and the folder's full path (ending in `/`).
 * FILE_UNAVAILABLE when there is none; FILE_AMBIGUOUS with the candidates when a name
 * matches several folders.
 */
function folderFiles(files: readonly SharedFile[], folder: string, holder: string): { root: string; inside: SharedFile[] } {
  const roots = new Set<string>();
  if (folder.startsWith('/')) roots.add(folder);
  else {
    const name = folder.slice(0, -1);
    for (const file of files) {
      const segments = file.path.split('/');
      for (let i = 1; i < segments.length - 1; i++) if (segments[i] === name) roots.add(`${segments.slice(0, i + 1).join('/')}/`);
    }
  }
  if (roots.size > 1) throw new KompartError(Reason.FILE_AMBIGUOUS, { peer: holder, file: quoteInput(folder), candidates: [...roots].sort().join('\n') });
  const [root] = roots;
  const inside = root === undefined ? [] : files.filter((file) => file.path.startsWith(root));
  if (root === undefined || inside.length === 0) throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: holder, file: quoteInput(folder) });
  return { root, inside: inside.sort((a, b) => a.path.localeCompare(b.path)) };
}

/** More registered files than this in one folder: only the folder's summary line is printed. */
const MAX_FILE_LINES_PER_FOLDER = 20;
/** How long start-up registration waits for an unreachable registry. */
export const START_PATIENCE_MS = 60_000;
/** Pauses between start-up registration attempts: 0.5 s doubling up to 5 s, no jitter. */
const START_BACKOFF = { initialMs: 500, maxMs: 5000, factor: 2, jitter: 0 } as const;
/** `list files` entries kept for tab completion and the menu. */
const MAX_REMEMBERED_FILES = 10_000;

/**
 * Runs the peer commands over a Peer and prints what happens: one place for the text of
 * every result and error, whatever the front end (typed prompt, menu, piped input).
 * Counts failed commands for the exit code.
 */
export class PeerShell {
  readonly #o: PeerShellOptions;
  #failures = 0;
  #lastListing: SharedFile[] = [];
  /**
   * The peer was registered by start-up work (--register, --share): a `register peer`
   * that finds it registered says so without counting as a failure.
   */
  registeredAtStart = false;

  constructor(options: PeerShellOptions) {
    this.#o = options;
  }

  /** Commands that failed so far. */
  get failures(): number {
    return this.#failures;
  }

  /** Files of the last `list files`, for completion and the menu. */
  get lastListing(): readonly SharedFile[] {
    return this.#lastListing;
  }

  get peer(): Peer {
    return this.#o.peer;
  }

  /** Reads and runs one typed line. */
  async executeLine(line: string, signal?: AbortSignal): Promise<Outcome | undefined> {
    const parsed = parseCommand(line);
    if (!parsed.ok) {
      this.#failures++;
      if (parsed.error === 'unknown') {
        const { suggestion } = parsed;
        const input = quoteInput(parsed.input);
        if (suggestion === undefined) this.#print('error', this.#t(cliTexts.unknownCommand, { input }), { reason: 'UNKNOWN_COMMAND', input });
        else this.#print('error', this.#t(cliTexts.unknownCommandSuggestion, { input, suggestion }), { reason: 'UNKNOWN_COMMAND', input, suggestion });
      } else {
        const usage = USAGE[parsed.topic];
        this.#print('error', this.#t(cliTexts.commandUsage, { usage: render(usage.text, this.#o.lang) }), { reason: 'USAGE', command: usage.command });
      }
      return 'failed';
    }
    if (parsed.command === undefined) return undefined;
    return this.execute(parsed.command, signal);
  }

  /** Runs one command; failures are printed (never thrown) and counted. */
  async execute(command: Command, signal?: AbortSignal): Promise<Outcome> {
    try {
      switch (command.name) {
        case 'register-peer':
          try {
            await this.#registerPeer();
          } catch (error) {
            if (!this.registeredAtStart || !isKompartError(error, Reason.PEER_ALREADY_REGISTERED)) throw error;
            this.#print('info', describeError(error, this.#o.lang), { command: 'register peer', reason: error.reason });
          }
          return 'ok';
        case 'register-file':
          return await this.#registerFile(command.path, signal);
        case 'unregister-file':
          await this.#unregisterFile(command.path);
          return 'ok';
        case 'list-files':
          await this.#listFiles(command.filter);
          return 'ok';
        case 'get-file':
          return await this.#getFiles(command.refs, signal);
        case 'disconnect':
          await this.#disconnect();
          return 'ok';
        case 'help':
          this.printHelp();
          return 'ok';
        case 'exit':
          return 'exit';
        case 'menu':
          if (this.#o.menuAvailable) return 'menu';
          this.#failures++;
          this.#print('error', this.#t(cliTexts.unknownCommand, { input: COMMAND_WORDS.menu }), { reason: 'UNKNOWN_COMMAND', input: COMMAND_WORDS.menu });
          return 'failed';
      }
    } catch (error) {
      this.#failures++;
      this.#printError(command, error);
      return 'failed';
    }
  }

  /**
   * `register peer` at start-up (--register, --share): a registry that cannot be reached
   * yet (containers start together) is tried again with growing pauses, up to `patienceMs`.
   */
  async registerAtStart(signal: AbortSignal, patienceMs: number = START_PATIENCE_MS): Promise<Outcome> {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#registerPeer();
        return 'ok';
      } catch (error) {
        const unreachable = isPeerError(error, PeerErrorCode.REGISTRY_UNREACHABLE);
        const delayMs = backoffDelay(START_BACKOFF, attempt + 1);
        if (!unreachable || signal.aborted || Date.now() - started + delayMs > patienceMs) {
          this.#failures++;
          this.#printError({ name: 'register-peer' }, error);
          return 'failed';
        }
        this.#print('info', this.#t(cliTexts.registryWait, { server: this.#o.server, seconds: delayMs / 1000 }), {
          command: 'register peer',
          reason: error.reason,
          retryInMs: delayMs,
        });
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          return 'failed';
        }
      }
    }
  }

  /** Disconnects when registered (before leaving); prints the result like `disconnect`. */
  async disconnectIfRegistered(): Promise<void> {
    const state = this.#o.peer.state;
    if (state !== 'online' && state !== 'reconnecting') return;
    try {
      await this.#disconnect();
    } catch (error) {
      this.#printError({ name: 'disconnect' }, error);
    }
  }

  /** The list of commands. */
  printHelp(): void {
    const lines = [render(cliTexts.commandList, this.#o.lang)];
    if (this.#o.menuAvailable) lines.push(render(cliTexts.menuCommandHint, this.#o.lang));
    this.#print('info', lines.join('\n'), { command: 'help' });
  }

  /**
   * Every file of `list files`, without printing them (for the menu's choice). Prints the
   * "no files" line when there is none, and the error when the call fails (undefined).
   */
  async remoteFiles(): Promise<readonly SharedFile[] | undefined> {
    try {
      const files: SharedFile[] = [];
      for await (const file of this.#o.peer.iterateFiles()) {
        if (files.length < MAX_REMEMBERED_FILES) files.push(file);
      }
      this.#lastListing = files;
      if (files.length === 0) this.#print('result', render(sharedTexts.noFiles, this.#o.lang), { command: 'list files', files: 0 });
      return files;
    } catch (error) {
      this.#failures++;
      this.#printError({ name: 'list-files' }, error);
      return undefined;
    }
  }

  /** Prints an asynchronous message from the peer (nothing for quiet events). */
  printEvent(event: PeerEvent): void {
    const line = describeEvent(event, this.#o.lang, this.#o.server);
    if (line !== undefined) this.#o.output.print('event', line.text, line.data);
  }

  /** Prints a line that is neither a result nor an error. */
  info(text: string, data: Readonly<Record<string, unknown>> = {}): void {
    this.#print('info', text, data);
  }

  async #registerPeer(): Promise<void> {
    const info = await this.#o.peer.registerPeer();
    this.#print('result', this.#t(cliTexts.peerRegistered, { peer: info.peer }), { command: 'register peer', peer: info.peer });
  }

  async #registerFile(path: string, signal: AbortSignal | undefined): Promise<Outcome> {
    const { lang, peer } = this.#o;
    let task: ProgressTask | undefined;
    let announced = -1;
    const onProgress = (progress: RegisterProgress): void => {
      if (announced < 0 && progress.fileCount > 1) {
        this.#print(
          'info',
          this.#t(cliTexts.folderScanned, { path: resolve(this.#o.cwd, path), files: progress.fileCount, size: formatBytes(progress.total, this.#o.lang) }),
          {
            command: 'register file',
            files: progress.fileCount,
            bytes: progress.total,
          },
        );
      } else if (announced < 0) {
        this.#print('info', this.#t(cliTexts.hashing, { path: progress.path, size: formatBytes(progress.total, this.#o.lang) }), {
          command: 'register file',
          path: progress.path,
          bytes: progress.total,
        });
      }
      if (progress.fileIndex !== announced) {
        announced = progress.fileIndex;
        const label = this.#t(cliTexts.progressHashing, { name: baseName(progress.path) });
        if (task === undefined) task = this.#o.progress.start(label, progress.total, 0, 'hashing');
        task.update(progress.bytes, label);
      } else {
        task?.update(progress.bytes);
      }
    };
    let result;
    try {
      result = await peer.registerPath(path, { onProgress, ...(signal === undefined ? {} : { signal }) });
    } catch (error) {
      if (signal?.aborted === true && !(error instanceof KompartError)) {
        this.#failures++;
        this.#print('error', this.#t(cliTexts.registerCancelled, { path: resolve(this.#o.cwd, path) }), { command: 'register file', reason: 'CANCELLED' });
        return 'failed';
      }
      throw error;
    } finally {
      task?.stop();
    }
    const fileLine = (file: { path: string; sha256: string; size: number }): void =>
      this.#print('result', this.#t(cliTexts.fileRegistered, { path: file.path, size: formatBytes(file.size, this.#o.lang), sha256: file.sha256 }), {
        command: 'register file',
        path: file.path,
        sha256: file.sha256,
        size: file.size,
      });
    if (result.kind === 'file') {
      for (const file of result.registered) fileLine(file);
      return 'ok';
    }
    if (this.#o.output.json || result.registered.length <= MAX_FILE_LINES_PER_FOLDER) for (const file of result.registered) fileLine(file);
    for (const failure of result.failed) this.#printError({ name: 'register-file', path: failure.path }, failure.error);
    this.#print(
      result.failed.length > 0 ? 'error' : 'result',
      render(cliTexts.folderRegistered, lang, {
        path: result.root,
        registered: result.registered.length,
        existing: result.alreadyRegistered.length,
        failed: result.failed.length,
        skipped: result.skipped.length,
      }),
      {
        command: 'register file',
        path: result.root,
        registered: result.registered.length,
        alreadyRegistered: result.alreadyRegistered.length,
        failed: result.failed.length,
        skipped: result.skipped.length,
      },
    );
    if (result.failed.length === 0) return 'ok';
    this.#failures++;
    return 'failed';
  }

  /**
   * `list files [filter]`. Entries of a holder that share a base name are shown with their
   * path: the first MAX_REMEMBERED_FILES entries are gathered before any is printed, so
   * that the first of such a pair gets its path too; past that, an entry gets its path
   * when its holder and name were already listed.
   */
  async #listFiles(filter: ListFilter | undefined): Promise<void> {
    const seen: SharedFile[] = [];
    const names = new Map<string, number>();
    const key = (file: SharedFile): string => `${file.peer}\n${file.name}`;
    const printFile = (file: SharedFile): void => {
      const params = { peer: file.peer, name: file.name, path: file.path, sha256: file.sha256, size: formatBytes(file.size, this.#o.lang) };
      const text = (names.get(key(file)) ?? 0) > 1 ? cliTexts.listLineWithPath : cliTexts.listLine;
      this.#print('file', this.#t(text, params), { peer: file.peer, name: file.name, path: file.path, sha256: file.sha256, size: file.size });
    };
    let printing = false;
    for await (const file of this.#o.peer.iterateFiles(listFilterOf(filter))) {
      names.set(key(file), (names.get(key(file)) ?? 0) + 1);
      if (printing) {
        printFile(file);
        continue;
      }
      seen.push(file);
      if (seen.length === MAX_REMEMBERED_FILES) {
        seen.forEach(printFile);
        printing = true;
      }
    }
    if (!printing) seen.forEach(printFile);
    this.#lastListing = seen;
    if (seen.length === 0) this.#print('result', render(sharedTexts.noFiles, this.#o.lang), { command: 'list files', files: 0 });
  }

  async #unregisterFile(path: string): Promise<void> {
    const result = await this.#o.peer.unregisterPath(path);
    const data = { command: 'unregister file', path: result.root, kind: result.kind, files: result.removed.length };
    if (result.kind === 'file' && result.removed.length === 1) {
      const [file] = result.removed as [UnregisteredFile];
      this.#print('result', this.#t(cliTexts.fileUnregistered, { path: file.path, size: formatBytes(file.size, this.#o.lang), sha256: file.sha256 }), {
        ...data,
        sha256: file.sha256,
        size: file.size,
      });
      return;
    }
    this.#print('result', this.#t(cliTexts.folderUnregistered, { path: result.root, files: result.removed.length }), data);
  }

  /** `get file` of one or more references, side by side; failures are printed one by one. */
  async #getFiles(refs: readonly string[], signal: AbortSignal | undefined): Promise<Outcome> {
    if (refs.length === 1) {
      await this.#getFile(refs[0]!, signal);
      return 'ok';
    }
    const outcomes = await Promise.all(
      refs.map(async (ref) => {
        try {
          await this.#getFile(ref, signal);
          return true;
        } catch (error) {
          this.#failures++;
          this.#printError({ name: 'get-file', refs: [ref] }, error);
          return false;
        }
      }),
    );
    return outcomes.every(Boolean) ? 'ok' : 'failed';
  }

  async #getFile(ref: string, signal: AbortSignal | undefined): Promise<void> {
    const slash = ref.indexOf('/');
    if (ref.endsWith('/')) {
      await this.#getFolder(ref.slice(0, slash), ref.slice(slash + 1), signal);
      return;
    }
    const { peer, progress } = this.#o;
    let located: SharedFile | undefined;
    let task: ProgressTask | undefined;
    let started = false;
    const onProgress = (bytes: number, total: number): void => {
      if (!started) {
        started = true;
        const name = located?.name ?? ref;
        const holder = located?.peer ?? '';
        if (bytes < total || total === 0) {
          const text = bytes > 0 ? cliTexts.downloadResumed : cliTexts.downloadStarted;
          this.#print('info', this.#t(text, { name, holder, size: formatBytes(total, this.#o.lang), offset: formatBytes(bytes, this.#o.lang) }), {
            command: 'get file',
            name,
            holder,
            size: total,
            offset: bytes,
          });
          task = progress.start(this.#t(cliTexts.progressDownloading, { name }), total, bytes, 'download');
        }
      }
      lastBytes = bytes;
      task?.update(bytes);
    };
    let lastBytes = 0;
    let result;
    const began = performance.now();
    try {
      const onSending = (holders: number): void => {
        const name = located?.name ?? ref;
        task?.update(lastBytes, this.#t(holders > 1 ? cliTexts.progressDownloadingSwarm : cliTexts.progressDownloading, { name, holders }));
      };
      result = await peer.getFile(ref, { onProgress, onSending, onLocated: (file) => (located = file), ...(signal === undefined ? {} : { signal }) });
    } finally {
      task?.stop();
    }
    const durationMs = Math.round(performance.now() - began);
    const data = {
      command: 'get file',
      status: result.status,
      name: result.file.name,
      holder: result.holder,
      path: result.path,
      sha256: result.sha256,
      size: result.size,
    };
    if (result.status === 'already-present') {
      this.#print('result', this.#t(cliTexts.downloadAlreadyPresent, { name: result.file.name, path: result.path }), data);
      return;
    }
    // The rate of what this download moved: a resumed one counts from where it resumed.
    const moved = result.transferred;
    const bytesPerSecond = Math.round(moved / Math.max(durationMs / 1000, 0.001));
    const { lang } = this.#o;
    const facts = {
      name: result.file.name,
      path: result.path,
      size: formatBytes(result.size, lang),
      duration: formatElapsed(durationMs, lang),
      rate: formatRate(bytesPerSecond, lang),
    };
    if (result.holders === undefined) {
      this.#print('result', this.#t(cliTexts.downloadFinished, facts), { ...data, durationMs, bytesPerSecond });
      return;
    }
    const dropped = {
      'bad-piece': cliTexts.swarmDroppedBadPiece,
      'bad-list': cliTexts.swarmDroppedBadList,
      stalled: cliTexts.swarmDroppedStalled,
      left: cliTexts.swarmDroppedLeft,
    };
    for (const holder of result.holders) {
      if (holder.outcome in dropped) {
        this.#print('info', this.#t(dropped[holder.outcome as keyof typeof dropped], { peer: holder.peer }), {
          command: 'get file',
          event: 'holder-dropped',
          peer: holder.peer,
          outcome: holder.outcome,
        });
      }
    }
    const contributed = result.holders.filter((holder) => holder.bytes > 0);
    const shares = contributed.map((holder) => this.#t(cliTexts.swarmShare, { peer: holder.peer, bytes: formatBytes(holder.bytes, lang) })).join(', ');
    this.#print('result', this.#t(cliTexts.downloadFinishedSwarm, { ...facts, count: contributed.length, shares }), {
      ...data,
      durationMs,
      bytesPerSecond,
      holders: result.holders.map(({ peer, bytes, outcome }) => ({ peer, bytes, outcome })),
    });
  }

  /**
   * `get file <IP>/<folder>/`: every file the holder registered under that folder (its
   * full path, or a folder name that names one folder of that holder), downloaded and
   * verified into a folder of the same name under the downloads folder, keeping the tree
   * below it; one bar for the whole, FOLDER_DOWNLOADS files at a time.
   */
  async #getFolder(holder: string, folder: string, signal: AbortSignal | undefined): Promise<void> {
    const { peer, progress } = this.#o;
    const files: SharedFile[] = [];
    for await (const file of peer.iterateFiles({ holder })) files.push(file);
    const { root, inside } = folderFiles(files, folder, holder);
    const name = root.slice(0, -1).slice(root.slice(0, -1).lastIndexOf('/') + 1) || holder;
    const total = inside.reduce((sum, file) => sum + file.size, 0);
    this.#print('info', this.#t(cliTexts.folderDownloadStarted, { name, holder, files: inside.length, size: formatBytes(total, this.#o.lang) }), {
      command: 'get file',
      folder: root,
      holder,
      files: inside.length,
      size: total,
    });
    const done = new Map<string, number>();
    const task = progress.start(this.#t(cliTexts.progressDownloading, { name: `${name}/` }), total, 0, 'download');
    const began = performance.now();
    let transferred = 0;
    let saved: string | undefined;
    const failed: { file: SharedFile; error: unknown }[] = [];
    const queue = [...inside];
    const worker = async (): Promise<void> => {
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        if (signal?.aborted === true) break;
        const below = file.path.slice(root.length).split('/').slice(0, -1);
        try {
          const result = await peer.getFile(`${holder}/${file.path}`, {
            folder: [name, ...below],
            onProgress: (bytes) => {
              done.set(file.path, bytes);
              task.update([...done.values()].reduce((sum, value) => sum + value, 0));
            },
            ...(signal === undefined ? {} : { signal }),
          });
          transferred += result.transferred;
          // The folder as saved: its name made safe, like every file name.
          saved ??= join(peer.downloadsDir, relative(peer.downloadsDir, result.path).split(sep)[0]!);
        } catch (error) {
          failed.push({ file, error });
          this.#printError({ name: 'get-file', refs: [`${holder}/${file.path}`] }, error);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(FOLDER_DOWNLOADS, inside.length) }, worker));
    } finally {
      task.stop();
    }
    const durationMs = Math.round(performance.now() - began);
    const bytesPerSecond = Math.round(transferred / Math.max(durationMs / 1000, 0.001));
    const { lang } = this.#o;
    const path = saved ?? join(peer.downloadsDir, name);
    const params = {
      name,
      path,
      files: inside.length - failed.length,
      failed: failed.length,
      size: formatBytes(total, lang),
      duration: formatElapsed(durationMs, lang),
      rate: formatRate(bytesPerSecond, lang),
    };
    const data = {
      command: 'get file',
      folder: root,
      holder,
      path,
      files: inside.length - failed.length,
      failed: failed.length,
      size: total,
      durationMs,
      bytesPerSecond,
    };
    if (failed.length === 0) {
      this.#print('result', this.#t(cliTexts.folderDownloadFinished, params), data);
      return;
    }
    this.#print('error', this.#t(cliTexts.folderDownloadPartly, params), data);
    throw failed[0]!.error;
  }

  async #disconnect(): Promise<void> {
    const { peer } = this.#o;
    const id = peer.session?.peer ?? peer.id;
    const { removedFiles } = await peer.disconnect();
    if (removedFiles === undefined) {
      this.#print('result', this.#t(cliTexts.disconnectedOffline, { peer: id }), { command: 'disconnect', peer: id });
    } else {
      this.#print('result', this.#t(cliTexts.disconnected, { peer: id, files: removedFiles }), { command: 'disconnect', peer: id, files: removedFiles });
    }
  }

  #printError(command: Command | { name: 'register-file'; path: string }, error: unknown): void {
    const reason = isKompartError(error) ? error.reason : 'UNEXPECTED';
    if (reason === 'UNEXPECTED') this.#o.logger.debug({ err: error, command: command.name }, 'unexpected error');
    const data = { command: COMMAND_WORDS[command.name], reason };
    if (isKompartError(error, Reason.FILE_AMBIGUOUS)) {
      // One heading line, then the candidates indented under it.
      const param = (name: string): string => error.params[name] ?? '';
      const paths = param('candidates')
        .split('\n')
        .filter((path) => path !== '');
      const heading = this.#t(cliTexts.fileAmbiguousHeading, { peer: param('peer'), file: param('file') });
      this.#print('error', [heading, ...paths.map((path) => `  ${path}`)].join('\n'), { ...data, candidates: paths });
      return;
    }
    this.#print('error', describeError(error, this.#o.lang), data);
  }

  #print(kind: 'info' | 'result' | 'error' | 'file', text: string, data: Readonly<Record<string, unknown>>): void {
    this.#o.output.print(kind, text, data);
  }

  #t(text: (typeof cliTexts)[keyof typeof cliTexts], params: Record<string, string | number>): string {
    return render(text, this.#o.lang, params);
  }
}

function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
