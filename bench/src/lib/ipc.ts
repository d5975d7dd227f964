import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * A tiny request/response protocol over the IPC channel of `child_process.fork`, so that
 * each server and load generator runs in a process (and an event loop) of its own.
 *
 * The child module calls `serve(handlers)`; the parent calls `startChild(script)` and then
 * `child.call('op', args)`. Types flow from the child's handler object to the parent with
 * `import type`, which loads no code.
 */

// Handler maps are indexed by operation name; `any` keeps `Parameters<>` usable on them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handlers = Record<string, (args: any) => unknown>;

interface Request {
  readonly id: number;
  readonly op: string;
  readonly args: unknown;
}

type Reply = { readonly id: number; readonly value: unknown } | { readonly id: number; readonly error: string };

interface Notice {
  readonly notice: string;
  readonly data: unknown;
}

/** Serves `handlers` to the parent; exits when the parent goes away. */
export function serve(handlers: Handlers): void {
  if (process.send === undefined) throw new Error('this module runs as a forked child of the benchmark runner');
  const send = process.send.bind(process);
  process.on('message', (message: Request) => {
    const handler = handlers[message.op];
    const reply = (payload: Reply): void => void send(payload);
    if (handler === undefined) {
      reply({ id: message.id, error: `unknown operation ${message.op}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (value) => reply({ id: message.id, value }),
        (error: unknown) => reply({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  process.on('disconnect', () => process.exit(1));
}

/** Sends an unsolicited message to the parent (e.g. "a beat was sent at t"). */
export function notify(notice: string, data: unknown): void {
  process.send?.({ notice, data } satisfies Notice);
}

export interface Child<H extends Handlers> {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  call<K extends keyof H & string>(op: K, ...args: Parameters<H[K]>): Promise<Awaited<ReturnType<H[K]>>>;
  onNotice(listener: (notice: string, data: unknown) => void): void;
  /** Asks the child to exit (so a --cpu-prof profile gets written), then kills it. */
  stop(graceMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

export interface StartOptions {
  readonly args?: readonly string[];
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Forks a child that calls `serve`, with the structured-clone ("advanced") serialization. */
export function startChild<H extends Handlers>(name: string, script: string, options: StartOptions = {}): Child<H> {
  const child = fork(script, [...(options.args ?? [])], {
    execArgv: [...(options.execArgv ?? [])],
    env: options.env ?? process.env,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; op: string }>();
  const noticeListeners: ((notice: string, data: unknown) => void)[] = [];
  let exited = false;
  const exit = once(child, 'exit').then(() => {
    exited = true;
  });

  child.on('message', (message: Reply | Notice) => {
    if ('notice' in message) {
      for (const listener of noticeListeners) listener(message.notice, message.data);
      return;
    }
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if ('error' in message) waiter.reject(new Error(`${name}.${waiter.op}: ${message.error}`));
    else waiter.resolve(message.value);
  });
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited (${signal ?? code}) during ${waiter.op}`));
    pending.clear();
  });

  return {
    name,
    pid: child.pid,
    process: child,
    call(op, ...args) {
      if (exited) return Promise.reject(new Error(`${name} has exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, op });
        child.send({ id, op, args: args[0] } satisfies Request);
      });
    },
    onNotice(listener) {
      noticeListeners.push(listener);
    },
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.send({ id: 0, op: '__exit', args: undefined } satisfies Request);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
    kill(signal = 'SIGKILL') {
      if (!exited) child.kill(signal);
    },
  };
}

/** Installs the `__exit` operation every child understands (used by `Child.stop`). */
export function exitHandler(cleanup?: () => Promise<void> | void) {
  return {
    __exit: async () => {
      await cleanup?.();
      // Leave time for the reply to be flushed, then exit normally (profiles are written).
      setImmediate(() => process.exit(0));
    },
  } satisfies Handlers;
}
