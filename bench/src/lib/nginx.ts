import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { processCpuMs } from './proc.js';

const NGINX = '/usr/sbin/nginx';

/**
 * Debian's nginx serving one folder with `sendfile` (the kernel copies the page cache
 * straight into the socket: no read into user space at all), one worker process, no
 * access log: the static file server a user would put in front of a download. It runs in
 * the foreground as the benchmark's child, with its own prefix, configuration and pid
 * file in a temporary folder; its CPU is its worker's and master's, from /proc.
 */
export class BenchNginx {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static available(): boolean {
    try {
      readFileSync(NGINX);
      return true;
    } catch {
      return false;
    }
  }

  static async start(root: string, host: string): Promise<BenchNginx> {
    const port = await freePort(host);
    const dir = mkdtempSync(join(tmpdir(), 'kompart-bench-nginx-'));
    const config = [
      'daemon off;',
      'master_process on;',
      'worker_processes 1;',
      // The benchmark runs as root and its files are root's: the worker reads them as root.
      'user root;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  sendfile on;',
      '  tcp_nopush on;',
      '  access_log off;',
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      `  server { listen ${host}:${port}; root ${root}; }`,
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'nginx.conf'), config);
    const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
    const nginx = new BenchNginx(port, child, dir);
    await nginx.ready(host);
    return nginx;
  }

  /** The master and its workers. */
  pids(): number[] {
    const master = this.child.pid!;
    const workers = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master;
        } catch {
          return false;
        }
      });
    return [master, ...workers];
  }

  cpuMs(): number {
    return this.pids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGQUIT');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Polls until the port answers (nginx prints nothing when it is ready). */
  private async ready(host: string): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited (${this.child.exitCode}); see ${join(this.dir, 'error.log')}`);
      const answered = await fetch(`http://${host}:${this.port}/`, { method: 'HEAD' }).then(
        () => true,
        () => false,
      );
      if (answered) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('nginx did not answer within 5 s');
  }
}
