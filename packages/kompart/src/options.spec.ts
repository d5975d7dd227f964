import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { LANGS, render } from '@kompart/core';
import { hasTemplateLeft } from '@kompart/core/testing';
import { PEER_DEFAULTS } from '@kompart/peer';
import { REGISTRY_DEFAULTS } from '@kompart/registry-server';
import type { Endpoint, Lang } from '@kompart/core';
import { parseArguments, type KompartConfig, type PeerConfig, type ServerConfig } from './config';
import type { LogLevel } from './line-logger';
import { MODES, addOptions, longFlag, modesOf, optionsHelp, type AnyOptionRow, type Mode } from './option-table';
import { ACTION_FLAGS, METAVARS, OPTIONS } from './options';
import { cliTexts } from './texts';

const ROWS: [string, AnyOptionRow][] = Object.entries(OPTIONS);
const context = { cwd: '/work', home: '/home/ana' };
const SEED: Readonly<Record<Mode, readonly string[]>> = { server: ['127.0.0.1', 's'], peer: ['127.0.0.1', 'p', '127.0.0.2'] };
/** Fields that are not rows: the seed syntax, and the TLS rows gathered into one. */
const NOT_ROWS: Readonly<Record<Mode, readonly string[]>> = { server: ['mode', 'listen', 'tls'], peer: ['mode', 'registry', 'host', 'tls'] };
const TLS_ROWS = ['tlsCert', 'tlsKey', 'tlsCa'];

function config(argv: readonly string[], env: Record<string, string> = {}): KompartConfig {
  const parsed = parseArguments(argv, env, context);
  if (!parsed.ok) throw new Error(parsed.errorMessage);
  if (parsed.action !== 'run') throw new Error(parsed.action);
  return parsed.config;
}

/** The help entries (first line and continuation lines) of each section: common, server, peer. */
function helpSections(lang: (typeof LANGS)[number]): string[][] {
  return optionsHelp(OPTIONS, ACTION_FLAGS, lang, METAVARS)
    .split('\n\n')
    .map((section) => section.split('\n').slice(1));
}

/** The sections (0 common, 1 server, 2 peer) a row is listed in. */
function sectionsOf(row: AnyOptionRow): number[] {
  const modes = modesOf(row);
  const single = 'pt' in row.help;
  if (single && modes.length === MODES.length) return [0];
  return modes.map((mode) => MODES.indexOf(mode) + 1);
}

/** True when A and B are the same type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe('the option table', () => {
  it('types the configuration from the rows: the parser, or the default of the mode', () => {
    // Checked by the compiler (tsc -p tsconfig.spec.json): a wrong type makes a `false` here.
    const checks: true[] = [
      true satisfies Same<ServerConfig['heartbeatIntervalMs'], number>,
      true satisfies Same<PeerConfig['heartbeatIntervalMs'], number | undefined>,
      true satisfies Same<ServerConfig['logLevel'], LogLevel>,
      true satisfies Same<PeerConfig['lang'], Lang>,
      true satisfies Same<PeerConfig['menu'], boolean | undefined>,
      true satisfies Same<PeerConfig['cacheDir'], string | undefined>,
      true satisfies Same<PeerConfig['downloadsDir'], string>,
      true satisfies Same<PeerConfig['share'], readonly string[]>,
      true satisfies Same<PeerConfig['listen'], Endpoint | undefined>,
      true satisfies Same<PeerConfig['chunkBytes'], number | undefined>,
      true satisfies Same<ServerConfig['listen'], Endpoint>,
      true satisfies Same<'chunkBytes' extends keyof ServerConfig ? true : false, false>,
      true satisfies Same<'tlsCert' extends keyof PeerConfig ? true : false, false>,
    ];
    expect(checks.every(Boolean)).toBe(true);
  });

  it('gives every row a commander option, and its --no- form when negatable', () => {
    const command = addOptions(new Command(), OPTIONS, ACTION_FLAGS);
    const longs = command.options.map((option) => option.long);
    for (const [, row] of ROWS) {
      expect(longs).toContain(longFlag(row));
      expect(longs.includes(`--no-${longFlag(row).slice(2)}`)).toBe(row.negatable === true);
    }
    for (const action of ACTION_FLAGS) expect(command.options.map((option) => option.flags)).toContain(action.flags);
  });

  it('has unique flags and unique KOMPART_ variables', () => {
    const variables = ROWS.map(([, row]) => row.env);
    expect(new Set(variables).size).toBe(variables.length);
    for (const variable of variables) expect(variable).toMatch(/^KOMPART_[A-Z0-9_]+$/);
    const flags = ROWS.map(([, row]) => longFlag(row));
    expect(new Set(flags).size).toBe(flags.length);
  });

  it.each(ROWS)('%s: its flag matches its parser, it applies to a mode, and its help covers its modes', (_field, row) => {
    const value = /^--[a-z][a-z0-9-]*(?: <([a-z]+)>)?$/.exec(row.flag);
    expect(value).not.toBeNull();
    expect(value?.[1] !== undefined).toBe(row.parse.takes === 'value');
    if (value?.[1] !== undefined) expect(Object.keys(METAVARS)).toContain(value[1]);
    expect(modesOf(row).length).toBeGreaterThan(0);
    if (!('pt' in row.help)) expect(Object.keys(row.help).sort()).toEqual(modesOf(row).sort());
  });

  it.each(LANGS)('lists every row in --help (%s), in the section of its modes, with its variable, nothing left unfilled', (lang) => {
    const sections = helpSections(lang);
    expect(sections).toHaveLength(3);
    for (const [, row] of ROWS) {
      const expected = sectionsOf(row);
      sections.forEach((lines, index) => {
        const entry = lines.findIndex(
          (line) => line.startsWith(`  ${longFlag(row)} `) || line === `  ${longFlag(row)}` || line.startsWith(`  ${longFlag(row)},`),
        );
        expect([row.flag, index, entry >= 0]).toEqual([row.flag, index, expected.includes(index)]);
        if (entry < 0) return;
        const text = lines.slice(entry, entry + 4).join(' ');
        expect(text).toContain(`(${row.env}`);
      });
    }
    const help = optionsHelp(OPTIONS, ACTION_FLAGS, lang, METAVARS);
    expect(hasTemplateLeft(help)).toBe(false);
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(96);
    for (const action of ACTION_FLAGS) expect(sections[0]?.some((line) => line.startsWith(`  ${action.flags} `))).toBe(true);
    expect(help.startsWith(render(cliTexts.helpOptions, lang))).toBe(true);
  });

  it.each(MODES)('builds the %s configuration from exactly the rows of that mode', (mode) => {
    const fields = Object.keys(config(SEED[mode])).sort();
    const rows = ROWS.filter(([, row]) => modesOf(row).includes(mode)).map(([field]) => field);
    expect(fields).toEqual([...rows.filter((field) => !TLS_ROWS.includes(field)), ...NOT_ROWS[mode]].sort());
  });

  it.each(ROWS.flatMap(([field, row]) => MODES.filter((mode) => !modesOf(row).includes(mode)).map((mode) => [mode, field, row] as const)))(
    'in %s mode, accepts and ignores %s (its flag and its variable, even with a wrong value)',
    (mode, _field, row) => {
      const flag = row.parse.takes === 'value' ? [longFlag(row), 'wrong!'] : [longFlag(row)];
      expect(config([...SEED[mode], ...flag], { [row.env]: 'wrong!' })).toEqual(config(SEED[mode]));
    },
  );

  it('takes its defaults from the libraries', () => {
    const server = config(SEED.server);
    for (const [field, value] of Object.entries(REGISTRY_DEFAULTS))
      if (field in server) expect([field, server[field as keyof typeof server]]).toEqual([field, value]);
    expect(config(SEED.peer)).toMatchObject({
      downloadsDir: resolve(context.cwd, PEER_DEFAULTS.downloadsDir),
      requireTickets: PEER_DEFAULTS.requireTickets,
      chunkBytes: undefined,
      heartbeatIntervalMs: undefined,
    });
  });

  const integerRows = ROWS.filter(([, row]) => typeof row.parse.helpParams?.['min'] === 'number');

  it.each(integerRows.flatMap(([field, row]) => modesOf(row).map((mode) => [field, mode, row] as const)))(
    '%s (%s): variable over default, flag over variable, bounds checked naming the flag',
    (field, mode, row) => {
      const min = Number(row.parse.helpParams?.['min']);
      const max = row.parse.helpParams?.['max'];
      const fromEnv = config(SEED[mode], { [row.env]: String(min + 1) });
      expect(fromEnv).toMatchObject({ [field]: min + 1 });
      expect(config([...SEED[mode], longFlag(row), String(min + 2)], { [row.env]: String(min + 1) })).toMatchObject({ [field]: min + 2 });
      const low = min === 0 ? 'x' : String(min - 1);
      const expected =
        max === undefined
          ? render(cliTexts.usageBadNumber, 'en', { option: longFlag(row), value: low, min })
          : render(cliTexts.usageBadRange, 'en', { option: longFlag(row), value: low, min, max });
      expect(parseArguments([...SEED[mode], longFlag(row), low, '--lang', 'en'], {}, context)).toEqual({ ok: false, lang: 'en', errorMessage: expected });
      if (typeof max === 'number') expect(parseArguments([...SEED[mode]], { [row.env]: String(max + 1) }, context)).toMatchObject({ ok: false });
    },
  );

  const switchRows = ROWS.filter(([, row]) => row.parse.takes === 'switch');

  it.each(switchRows.flatMap(([field, row]) => modesOf(row).map((mode) => [field, mode, row] as const)))(
    '%s (%s): a switch, its variable, and its --no- form over the variable',
    (field, mode, row) => {
      expect(config([...SEED[mode], longFlag(row)])).toMatchObject({ [field]: true });
      expect(config(SEED[mode], { [row.env]: 'yes' })).toMatchObject({ [field]: true });
      expect(config(SEED[mode], { [row.env]: 'off' })).toMatchObject({ [field]: false });
      if (row.negatable === true) expect(config([...SEED[mode], `--no-${longFlag(row).slice(2)}`], { [row.env]: '1' })).toMatchObject({ [field]: false });
      expect(parseArguments(SEED[mode], { [row.env]: 'maybe' }, context)).toEqual({
        ok: false,
        lang: 'pt',
        errorMessage: render(cliTexts.usageBadBoolean, 'pt', { name: row.env, value: 'maybe' }),
      });
    },
  );

  it("is what README.md's option table lists: every flag with its variable and mode", () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const lines = readme.split('\n').filter((line) => line.startsWith('| `-'));
    for (const [, row] of ROWS) {
      const flag = new RegExp(`\`${longFlag(row)}[\` ]`);
      const line = lines.find((candidate) => flag.test(candidate.split(' | ')[0] ?? ''));
      expect([row.flag, line === undefined]).toEqual([row.flag, false]);
      const [, variables, mode] = (line ?? '').split(' | ');
      expect([row.flag, variables]).toEqual([row.flag, expect.stringContaining(`\`${row.env}\``)]);
      expect([row.flag, mode]).toEqual([row.flag, modesOf(row).length === MODES.length ? 'both' : modesOf(row)[0]]);
    }
  });
});
