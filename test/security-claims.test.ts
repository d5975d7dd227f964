/**
 * SECURITY.md keeps its word (issue 20, item 5): every defence row names where it lives
 * and which tests prove it. This suite reads the tables and checks that each named file
 * exists and that each named test (`file › test name`) is still a test in that file, so
 * a test renamed or removed, or a defence moved, turns CI red instead of leaving the
 * document pointing at nothing.
 *
 * Names are matched against the source text: `%s`, `%d`, `%j` (jest's table placeholders)
 * and a leading or trailing `…` (a name quoted in part) match anything; `a › b` is test b
 * inside describe a.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
const document = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');

/** Every tracked source file of the repository, by path from the root. */
function sourceFiles(dir = ROOT, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, found);
    else if (entry.endsWith('.ts')) found.push(relative(ROOT, path));
  }
  return found;
}
const files = sourceFiles();

/** The files a row may mean by `name` (a path from packages/ or the root, or a bare base name). */
function resolveFile(name: string): string[] {
  return files.filter((file) => file === name || file === `packages/${name}` || file.endsWith(`/${name}`));
}

interface Claim {
  readonly row: number;
  readonly file: string;
  readonly test?: string;
}

/** The claims of one table row: its code column's files, its test column's files and tests. */
function claimsOf(line: string, row: number): Claim[] {
  const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
  const [, , code = '', tests = ''] = cells;
  const claims: Claim[] = [];
  for (const match of code.matchAll(/`([\w./-]+\.ts)(?: › [^`]*)?`/g)) claims.push({ row, file: match[1]! });
  // In the test column a `› name` without a file belongs to the file named last.
  let current: string | undefined;
  // Other code spans there are examples (hostile names, commands), not claims.
  for (const match of tests.matchAll(/`(?:([\w./-]+\.ts)(?: › ([^`]*))?|› ([^`]*))`/g)) {
    const [, file, named, bare] = match;
    if (file !== undefined) current = file;
    if (current === undefined) continue;
    const test = (named ?? bare ?? '').trim();
    claims.push(test === '' ? { row, file: current } : { row, file: current, test });
  }
  return claims;
}

const rows = document.split('\n').flatMap((line, index) => (line.startsWith('| ') && !line.startsWith('| ---') ? [{ line, row: index + 1 }] : []));
const claims = rows.flatMap(({ line, row }) => claimsOf(line, row)).filter((claim) => claim.file.endsWith('.ts'));

/** A test name (`describe › it` for nested ones) as patterns over the test file's source text. */
function namePatterns(name: string): RegExp[] {
  return name.split(' › ').map((part) => {
    const cut = part.replace(/^…\s*/, '').replace(/\s*…\)?$/, '');
    const escaped = cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%[sdjip]/g, '.*');
    return new RegExp(escaped, 's');
  });
}

describe('SECURITY.md', () => {
  it('names its defences and tests in tables this check can read', () => {
    expect(rows.length).toBeGreaterThan(40);
    expect(claims.filter((claim) => claim.test !== undefined).length).toBeGreaterThan(80);
  });

  it('proves every defence with at least one test file', () => {
    const start = document.split('\n').findIndex((line) => line.startsWith('## Defences'));
    const end = document.split('\n').findIndex((line) => line.startsWith('## Known gaps'));
    const defences = rows.filter(({ row, line }) => row > start && row <= end && !line.startsWith('| Defence') && !line.startsWith('| What'));
    const unproved = defences.filter(({ row }) => !claims.some((claim) => claim.row === row && /\.(test|spec)\.ts$/.test(claim.file)));
    expect(defences.length).toBeGreaterThan(30);
    expect(unproved.map(({ row, line }) => `line ${row}: ${line.slice(0, 80)}`)).toEqual([]);
  });

  it('names only files that exist, each unambiguously', () => {
    const broken = claims
      .map((claim) => ({ row: claim.row, file: claim.file, found: resolveFile(claim.file) }))
      .filter((claim) => claim.found.length !== 1)
      .map((claim) => `line ${claim.row}: ${claim.file} -> ${claim.found.length === 0 ? 'no such file' : claim.found.join(', ')}`);
    expect([...new Set(broken)]).toEqual([]);
  });

  it('names only tests that are in the files it names', () => {
    const missing: string[] = [];
    for (const claim of claims) {
      if (claim.test === undefined) continue;
      const [file] = resolveFile(claim.file);
      if (file === undefined) continue; // reported by the previous test
      const source = readFileSync(join(ROOT, file), 'utf8').replace(/\\'/g, "'");
      if (!namePatterns(claim.test).every((pattern) => pattern.test(source))) missing.push(`line ${claim.row}: ${claim.file} › ${claim.test}`);
    }
    expect(missing).toEqual([]);
  });
});
