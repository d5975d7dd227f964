/**
 * The docker-compose topology is valid (docker-compose config) and says what the README
 * promises: a registry and five peers with fixed addresses, each sharing its demo folder.
 * There is no Docker engine here; the same topology runs for real in test/netsim.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const compose = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((path) => existsSync(path));
if (compose === undefined && process.env['CI'])
  throw new Error('docker-compose (Debian package) is needed to validate docker-compose.yml; .ci/run installs it');
if (compose === undefined) console.warn('SKIPPED docker-compose validation: apt-get install docker-compose');
const describeWithCompose = compose === undefined ? describe.skip : describe;

describeWithCompose('docker-compose.yml', () => {
  const config = (): string => execFileSync(compose!, ['-f', join(root, 'docker-compose.yml'), 'config'], { cwd: root, encoding: 'utf8' });

  it('is valid', () => {
    expect(() => execFileSync(compose!, ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], { cwd: root })).not.toThrow();
  });

  it('has the registry and five peers on fixed addresses, each sharing its own demo folder', () => {
    const text = config();
    expect(text).toMatch(/registry:[\s\S]*ipv4_address: 172\.28\.0\.10/);
    for (let n = 1; n <= 5; n++) {
      expect(text).toContain(`ipv4_address: 172.28.0.1${n}`);
      expect(text).toContain(`- 172.28.0.1${n}`);
      expect(existsSync(join(root, 'demo', `peer${n}`))).toBe(true);
      expect(text).toMatch(new RegExp(`demo/peer${n}:/data/share:ro`));
    }
    expect(text).toContain('- 127.0.0.1:50051:50051/tcp');
  });

  it('mends what operators trip on: no obsolete version key, ports on the loopback, peers left with exit stay down, the scenario waits for ready peers', () => {
    const source = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    expect(source).not.toMatch(/^version:/m);
    expect(source).toContain('"${KOMPART_PUBLISH:-127.0.0.1}:50051:50051"');
    const text = config();
    for (let n = 1; n <= 5; n++) expect(text).toMatch(new RegExp(`peer${n}:[\\s\\S]*?restart: on-failure`));
    expect(text).toMatch(/KOMPART_READY_FILE: \/tmp\/kompart-ready/);
    const scenario = /scenario:[\s\S]*?networks:/.exec(text)?.[0] ?? '';
    expect(scenario).toMatch(/peer1:\s+condition: service_healthy/);
  });

  it('has a cluster profile: Redis with persistence, three replicas on it, five peers using all three', () => {
    const text = execFileSync(compose!, ['-f', join(root, 'docker-compose.yml'), '--profile', 'cluster', 'config'], { cwd: root, encoding: 'utf8' });
    expect(text).toMatch(/redis:[\s\S]*?--appendonly[\s\S]*?- 'yes'|redis:[\s\S]*?--appendonly[\s\S]*?- "yes"/);
    for (let n = 1; n <= 3; n++) {
      expect(text).toMatch(new RegExp(`replica${n}:[\\s\\S]*?- 172\\.28\\.0\\.3${n}\\s+- s\\s+- --store\\s+- redis://172\\.28\\.0\\.30:6379`));
    }
    for (let n = 1; n <= 5; n++)
      expect(text).toMatch(new RegExp(`cluster-peer${n}:[\\s\\S]*?- 172\\.28\\.0\\.31,172\\.28\\.0\\.32,172\\.28\\.0\\.33\\s+- p\\s+- 172\\.28\\.0\\.4${n}`));
    // Without the profile: one registry and no Redis, as before (every cluster service is in the profile).
    for (const service of ['redis', 'replica1', 'replica2', 'replica3', 'cluster-peer1', 'cluster-peer5']) {
      expect(text).toMatch(new RegExp(`\\n  ${service}:\\n(?:    .*\\n|    - .*\\n)*?    profiles:\\n    - cluster\\n`));
    }
  });

  it("publishes the registry's web view and metrics on the host's loopback; every kompart process serves metrics", () => {
    const text = config();
    expect(text).toContain('- 127.0.0.1:8080:8080/tcp');
    expect(text).toContain('- 127.0.0.1:9464:9464/tcp');
    const registry = /\n  registry:\n[\s\S]*?\n  [a-z0-9-]+:\n/.exec(text)?.[0] ?? '';
    expect(registry).toContain('KOMPART_WEB: 0.0.0.0:8080');
    expect(registry).toContain('KOMPART_METRICS: 0.0.0.0:9464');
    for (let n = 1; n <= 5; n++) expect(text).toMatch(new RegExp(`\\n  peer${n}:\\n[\\s\\S]*?KOMPART_METRICS: 0\\.0\\.0\\.0:9464`));
    // Prometheus only comes with its profile.
    expect(text).toMatch(/\n  prometheus:\n(?:    .*\n|    - .*\n)*?    profiles:\n    - monitoring\n/);
  });

  it('has a monitoring profile: Prometheus with its config from the repository, scraping every kompart process', () => {
    const text = execFileSync(compose!, ['-f', join(root, 'docker-compose.yml'), '--profile', 'monitoring', '--profile', 'cluster', 'config'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(text).toMatch(/\n  prometheus:\n[\s\S]*?docker\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml:ro/);
    expect(text).toContain('- 127.0.0.1:9090:9090/tcp');
    const scrape = readFileSync(join(root, 'docker', 'prometheus.yml'), 'utf8');
    // Every service that serves metrics (KOMPART_METRICS) is a target, at its fixed address.
    const services = [...text.matchAll(/^  ([a-z0-9-]+):\n((?: {4}.*\n)*)/gm)];
    const withMetrics = services.filter(([, , body]) => body!.includes('KOMPART_METRICS: 0.0.0.0:9464'));
    expect(withMetrics.map(([, name]) => name).sort()).toEqual(
      ['registry', 'replica1', 'replica2', 'replica3', ...[1, 2, 3, 4, 5].flatMap((n) => [`peer${n}`, `cluster-peer${n}`])].sort(),
    );
    for (const [, name, body] of withMetrics) {
      const address = /ipv4_address: (172\.28\.0\.\d+)/.exec(body!)?.[1];
      expect([name, address !== undefined && scrape.includes(`"${address}:9464"`)]).toEqual([name, true]);
    }
  });
});
