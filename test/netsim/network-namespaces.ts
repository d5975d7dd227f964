/**
 * Separate hosts on one Linux machine: one network namespace per host, each with an
 * `eth0` veth whose other end is plugged into a bridge that lives in a "switch"
 * namespace of its own. Nothing touches the root namespace's network. Needs root and
 * iproute2.
 *
 * Cutting a host's link sets the switch-side end down: the host keeps its address and
 * sees silence, like a pulled cable.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams, type SpawnOptionsWithStdioTuple, type StdioPipe } from 'node:child_process';

export interface Host {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
  /** Interface name of this host's cable end in the switch namespace. */
  readonly switchPort: string;
}

/** True when this process can build namespaces (root with `ip` on the PATH). */
export function canUseNamespaces(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

export class NetworkSimulation {
  readonly hosts = new Map<string, Host>();
  private readonly switchNs: string;
  private readonly created: string[] = [];

  /**
   * @param tag short unique tag for the namespaces of this run (e.g. the pid)
   * @param subnet first three octets of the private /24 the hosts use
   */
  constructor(
    private readonly tag: string,
    private readonly subnet = '10.77.0',
  ) {
    this.switchNs = `kpsw-${tag}`;
  }

  /** Builds the switch and one host per name, addresses .10, .11, … in the subnet. */
  create(names: readonly string[]): void {
    removeStaleNamespaces();
    this.addNamespace(this.switchNs);
    ip('-n', this.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.switchNs, 'link', 'set', 'br0', 'up');
    names.forEach((name, index) => {
      const namespace = `kp-${this.tag}-${name}`;
      const address = `${this.subnet}.${10 + index}`;
      const hostEnd = `kh${this.tag}${index}`.slice(0, 15);
      const switchPort = `ks${this.tag}${index}`.slice(0, 15);
      this.addNamespace(namespace);
      ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', switchPort);
      ip('link', 'set', hostEnd, 'netns', namespace);
      ip('link', 'set', switchPort, 'netns', this.switchNs);
      ip('-n', namespace, 'link', 'set', hostEnd, 'name', 'eth0');
      ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      ip('-n', namespace, 'link', 'set', 'lo', 'up');
      ip('-n', this.switchNs, 'link', 'set', switchPort, 'master', 'br0');
      ip('-n', this.switchNs, 'link', 'set', switchPort, 'up');
      this.hosts.set(name, { name, namespace, address, switchPort });
    });
  }

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name}`);
    return host;
  }

  /** Starts a program inside a host's namespace. */
  spawn(
    name: string,
    command: string,
    args: readonly string[],
    options: SpawnOptionsWithStdioTuple<StdioPipe, StdioPipe, StdioPipe>,
  ): ChildProcessWithoutNullStreams {
    return spawn('ip', ['netns', 'exec', this.host(name).namespace, command, ...args], options);
  }

  /** Pulls (false) or plugs back (true) a host's cable. */
  setLink(name: string, up: boolean): void {
    ip('-n', this.switchNs, 'link', 'set', this.host(name).switchPort, up ? 'up' : 'down');
  }

  /** Deletes every namespace this simulation made (their veths go with them). Idempotent. */
  destroy(): void {
    for (const namespace of this.created.splice(0).reverse()) {
      try {
        ip('netns', 'delete', namespace);
      } catch {
        // already gone
      }
    }
    this.hosts.clear();
  }

  private addNamespace(namespace: string): void {
    ip('netns', 'add', namespace);
    this.created.push(namespace);
  }
}

/**
 * Removes namespaces an earlier simulation left behind (a test process that was killed),
 * not those of a simulation still running in another process (their tag is its pid).
 */
function removeStaleNamespaces(): void {
  const listed = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of listed.split('\n')) {
    const namespace = line.split(' ')[0] ?? '';
    const tag = /^kp(?:sw)?-(\d+)/.exec(namespace)?.[1];
    if (tag !== undefined && !isRunning(Number(tag))) {
      try {
        ip('netns', 'delete', namespace);
      } catch {
        // raced with another cleanup
      }
    }
  }
}

/** True while a process with this pid (a simulation's tag) is alive. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
