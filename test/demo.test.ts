/** `npm run demo` keeps working: run it (on other ports) and check its transcript. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

it('npm run demo: registry and three peers register, list, download and go offline', async () => {
  const root = join(__dirname, '..');
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        join(root, 'node_modules', 'ts-node', 'dist', 'bin.js'),
        '--transpile-only',
        '-O',
        JSON.stringify({ module: 'commonjs', moduleResolution: 'node', target: 'ES2022' }),
        join(root, 'scripts', 'demo.ts'),
      ],
      { cwd: root, env: { ...process.env, KOMPART_DEMO_PORTS: '52051,52052', KOMPART_DEMO_WEB: '127.0.0.1:52080', NO_COLOR: '1' }, timeout: 90_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, output: stdout + stderr }),
    );
  });
  expect(output).not.toContain('demo failed');
  expect(code).toBe(0);
  for (const line of [
    '[127.0.0.4:52052] Peer 127.0.0.4:52052 já registrado',
    '[127.0.0.4:52052] arquivo removido ou indisponível',
    '[127.0.0.4:52052] Peer 127.0.0.3:52052 offline',
    '[127.0.0.4:52052] Peer não registrado',
  ]) {
    expect(output).toContain(line);
  }
  expect(output).toContain('== Live view of the overlay: http://127.0.0.1:52080/ (open it in a browser)');
  expect(output).toContain('[registry] ');
  expect(output).toMatch(/Página ao vivo da rede em http:\/\/127\.0\.0\.1:52080\//);
  expect(output).toMatch(/Arquivo hello\.txt salvo em .* \(29 B em \d+,\d s, .*, SHA-256 verificado\)/);
}, 120_000);
