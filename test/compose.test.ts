/**
 * The docker-compose topology is valid (docker-compose config) and says what the README
 * promises: a registry and five peers with fixed addresses, each sharing its demo folder.
 * There is no Docker engine here; the same topology runs for real in test/netsim.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const compose = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((path) => existsSync(path));
if (compose === undefined && process.env['CI']) throw new Error('docker-compose (Debian package) is needed to validate docker-compose.yml; .ci/run installs it');
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
    expect(text).toMatch(/published: 50051\s+target: 50051/);
  });
});
