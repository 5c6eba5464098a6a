import { UsageError } from './errors';
import { parseSecretData, readSecretText, refuseArgvValues } from './secret-input';

describe('secret input', () => {
  it('reads KEY=value lines: comments, blank lines, export, quotes and = inside values', () => {
    const text = '# db\n\nUSER=wharf\nexport PASSWORD="p=ss word"\nTOKEN=\'abc\'\nEMPTY=\n';
    expect(parseSecretData(text, 'stdin')).toEqual({ USER: 'wharf', PASSWORD: 'p=ss word', TOKEN: 'abc', EMPTY: '' });
  });

  it('reads a JSON object of strings (numbers and booleans as text)', () => {
    expect(parseSecretData('{"USER":"wharf","PORT":5432,"TLS":true}', 'db.json')).toEqual({ USER: 'wharf', PORT: '5432', TLS: 'true' });
  });

  it('refuses bad input without echoing the line', () => {
    expect(() => parseSecretData('hunter2-not-a-pair', 'stdin')).toThrow(/stdin, line 1: not KEY=value \(the line is not shown/);
    try {
      parseSecretData('USER=a\nsupersecret', 'stdin');
    } catch (e) {
      expect((e as Error).message).not.toContain('supersecret');
      expect(e).toBeInstanceOf(UsageError);
    }
    expect(() => parseSecretData('A=1\nA=2', 'f.env')).toThrow(/"A" is given twice/);
    expect(() => parseSecretData('   \n', 'stdin')).toThrow(/stdin is empty/);
    expect(() => parseSecretData('{"A":{"b":1}}', 'x.json')).toThrow(/"A" is not a string/);
    expect(() => parseSecretData('[1]', 'x.json')).toThrow(/not KEY=value/);
    expect(() => parseSecretData('{"A":', 'x.json')).toThrow(/not valid JSON/);
    expect(() => parseSecretData('1BAD=x', 'stdin')).toThrow(/not a valid key/);
  });

  it('refuses values on the command line', () => {
    expect(() => refuseArgvValues('db', ['PASSWORD=x'])).toThrow(UsageError);
    expect(() => refuseArgvValues('PASSWORD=x', [])).toThrow(/never read from the command line/);
    expect(() => refuseArgvValues('db', [])).not.toThrow();
  });

  it('refuses a terminal on stdin with a hint, and reads piped stdin', async () => {
    const tty = Object.assign(async function* () {}(), { isTTY: true }) as unknown as NodeJS.ReadStream;
    await expect(readSecretText({}, tty)).rejects.toThrow(/stdin is a terminal: pipe them in/);
    const piped = Object.assign(
      (async function* () {
        yield Buffer.from('A=1\n');
        yield Buffer.from('B=2\n');
      })(),
      { isTTY: false },
    ) as unknown as NodeJS.ReadStream;
    const { text, source } = await readSecretText({}, piped);
    expect(source).toBe('stdin');
    expect(parseSecretData(text, source)).toEqual({ A: '1', B: '2' });
  });
});
