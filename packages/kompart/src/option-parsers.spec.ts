import { render } from '@kompart/core';
import {
  endpoint,
  integer,
  language,
  logLevel,
  onOff,
  optionalPath,
  parseAddress,
  pathList,
  pathOrOff,
  requiredPath,
  type OptionParser,
  type RawValue,
} from './option-parsers';
import { cliTexts } from './texts';
import { UsageError } from './usage-error';

const where = { option: '--example', variable: 'KOMPART_EXAMPLE', cwd: '/work' };

/** The message (in English) a parser rejects a value with. */
function rejection<V>(parser: OptionParser<V>, raw: RawValue): string {
  try {
    parser.parse(raw, where);
  } catch (error) {
    if (error instanceof UsageError) return render(error.text, 'en', error.params);
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('option parsers', () => {
  it('integer: digits only, spaces around tolerated, bounds inclusive', () => {
    const parser = integer({ min: 10 });
    expect(parser.parse(' 250 ', where)).toBe(250);
    expect(parser.parse('10', where)).toBe(10);
    for (const text of ['9', '-5', '1e3', '12.5', '', 'soon', '9999999999999999']) {
      expect(rejection(parser, text)).toBe(`Invalid value for --example: "${text}" (an integer >= 10)`);
    }
    const bounded = integer({ min: 1, max: 1024 });
    expect(bounded.parse('1024', where)).toBe(1024);
    expect(rejection(bounded, '1025')).toBe('Invalid value for --example: "1025" (an integer from 1 to 1024)');
    expect(rejection(bounded, '0')).toBe('Invalid value for --example: "0" (an integer from 1 to 1024)');
  });

  it('onOff: a switch as given, a variable in words, a wrong word naming the variable', () => {
    expect(onOff.parse(true, where)).toBe(true);
    expect(onOff.parse(false, where)).toBe(false);
    for (const word of ['1', 'TRUE', ' yes ', 'on', 'sim']) expect(onOff.parse(word, where)).toBe(true);
    for (const word of ['0', 'False', 'no', 'off', 'não', '']) expect(onOff.parse(word, where)).toBe(false);
    expect(rejection(onOff, 'maybe')).toBe('Invalid value in KOMPART_EXAMPLE: "maybe" (use 1 or 0, true or false)');
  });

  it('paths: made absolute against the working folder; required, optional or off', () => {
    expect(requiredPath.parse('d', where)).toBe('/work/d');
    expect(requiredPath.parse('/abs', where)).toBe('/abs');
    expect(rejection(requiredPath, '  ')).toBe('--example cannot be empty');
    expect(optionalPath.blankIsDefault).toBe(true);
    expect(optionalPath.parse('c.pem', where)).toBe('/work/c.pem');
    expect(pathOrOff.parse('cache', where)).toBe('/work/cache');
    expect(pathOrOff.parse(false, where)).toBeUndefined();
    expect(pathOrOff.parse('', where)).toBeUndefined();
  });

  it('pathList: a repeated flag as given, a variable split on the list delimiter without blanks', () => {
    expect(pathList.repeatable).toBe(true);
    expect(pathList.parse(['x', '/y'], where)).toEqual(['/work/x', '/y']);
    expect(pathList.parse('a::/b: ', where)).toEqual(['/work/a', '/b']);
    expect(pathList.parse('', where)).toEqual([]);
  });

  it('endpoint: ip or ip:port with the default port; a wrong address is a usage error', () => {
    expect(endpoint(50052).parse('0.0.0.0', where)).toMatchObject({ target: '0.0.0.0:50052' });
    expect(endpoint(50052).parse('10.0.0.1:7000', where)).toMatchObject({ target: '10.0.0.1:7000' });
    expect(rejection(endpoint(50052), '1.2.3.999')).toBe('Invalid address "1.2.3.999": use ip or ip:port');
    expect(() => parseAddress('nope:0', 50051)).toThrow(UsageError);
  });

  it('logLevel and language: any case; an unknown one lists the accepted values', () => {
    expect(logLevel.parse(' WARN ', where)).toBe('warn');
    expect(rejection(logLevel, 'loud')).toBe('Invalid log level "loud": use debug, info, warn, error, silent');
    expect(language.parse('EN', where)).toBe('en');
    expect(rejection(language, 'de')).toBe('Invalid language "de": use pt or en');
  });

  it('a value parser given a switch is a mistake in the table, not a usage error', () => {
    expect(() => integer({ min: 0 }).parse(true, where)).toThrow(TypeError);
    expect(() => pathList.parse(true, where)).toThrow(TypeError);
  });

  it('renders its usage errors in both languages', () => {
    expect(render(cliTexts.usageBadRange, 'pt', { option: '--chunk-bytes', value: '0', min: 1, max: 1_048_576 })).toBe(
      'Valor inválido para --chunk-bytes: "0" (um número inteiro de 1 a 1048576)',
    );
  });
});
