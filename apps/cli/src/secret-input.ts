import { readFileSync } from 'node:fs';
import { CliError, UsageError } from './errors';

/**
 * A secret's data from text: a JSON object of strings (`{"USER":"a","PASSWORD":"b"}`), or
 * `KEY=value` lines (blank lines and `#` comments skipped, `export ` allowed before a key, a value
 * in matching single or double quotes unquoted, `=` inside a value kept). Errors name the line,
 * never its value.
 */
export function parseSecretData(text: string, source: string): Record<string, string> {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (!body) throw new UsageError(`${source} is empty: give KEY=value lines or a JSON object such as {"PASSWORD":"…"}`);
  const data: Record<string, string> = {};
  if (body.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw new UsageError(`${source} is not valid JSON (${(e as Error).message.replace(/ in JSON at.*$/, '')}): give a JSON object of strings, or KEY=value lines`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${source}: the JSON must be an object of key: value strings`);
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string') data[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') data[k] = String(v);
      else throw new UsageError(`${source}: the value of "${k}" is not a string (a secret holds strings only)`);
    }
  } else {
    body.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      const key = eq < 0 ? '' : line.slice(0, eq).replace(/^export\s+/, '').trim();
      if (!key) throw new UsageError(`${source}, line ${i + 1}: not KEY=value (the line is not shown: it may hold a secret)`);
      if (key in data) throw new UsageError(`${source}, line ${i + 1}: "${key}" is given twice`);
      let value = line.slice(eq + 1).trim();
      if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) value = value.slice(1, -1);
      data[key] = value;
    });
  }
  const keys = Object.keys(data);
  if (keys.length === 0) throw new UsageError(`${source} has no keys: give KEY=value lines or a JSON object such as {"PASSWORD":"…"}`);
  for (const k of keys) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k)) throw new UsageError(`${source}: "${k}" is not a valid key (letters, digits, _, . and -, not starting with a digit)`);
  }
  return data;
}

/**
 * Values are never taken from the command line (they would stay in the shell's history and in
 * the process list): extra arguments, or a name with `=`, are refused with how to give them.
 */
export function refuseArgvValues(name: string, extra: string[], command = 'wharf secret set'): void {
  if (extra.length > 0 || name.includes('=')) {
    throw new UsageError(
      `${command} takes the secret's name only: values are never read from the command line (they would stay in your shell history and the process list). ` +
        `Pipe KEY=value lines or a JSON object on stdin, e.g. \`${command} db < db.env\`, or use --from-file db.env`,
    );
  }
}

/** The raw text of a secret: from `--from-file` (`-` is stdin) or from stdin, refusing a terminal on stdin. */
export async function readSecretText(
  opts: { fromFile?: string },
  stdin: NodeJS.ReadStream = process.stdin,
  command = 'wharf secret set',
): Promise<{ text: string; source: string }> {
  if (opts.fromFile && opts.fromFile !== '-') {
    try {
      return { text: readFileSync(opts.fromFile, 'utf8'), source: opts.fromFile };
    } catch (e) {
      throw new CliError(`--from-file ${opts.fromFile} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): is the path right?`);
    }
  }
  if (stdin.isTTY) {
    throw new UsageError(
      `${command} reads the values from stdin or --from-file, and stdin is a terminal: pipe them in, e.g. \`${command} db < db.env\` or \`printf "PASSWORD=%s\\n" "$PW" | ${command} db\``,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return { text: Buffer.concat(chunks).toString('utf8'), source: 'stdin' };
}
