import { SingleBar } from 'cli-progress';
import pc from 'picocolors';
import yoctoSpinner from 'yocto-spinner';
import { bytes } from './output';

type Colors = ReturnType<typeof pc.createColors>;

/**
 * The terminal a command writes to. Results go to stdout; notes, progress and spinners to stderr,
 * so that `wharf … -o json | jq` sees only the result. Colour, bars and spinners only where stderr
 * (or stdout, for colour in tables) is a terminal and NO_COLOR is not set; piped output is plain
 * lines.
 */
export interface Term {
  /** stdout is a terminal (a person reads the result) */
  readonly tty: boolean;
  /** stderr is a terminal (progress may redraw a line) */
  readonly interactive: boolean;
  readonly color: boolean;
  readonly c: Colors;
  out(line: string): void;
  note(line: string): void;
  progress(label: string, total: number): Progress;
  spinner(text: string): Spinner;
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

export interface Spinner {
  /** a new status line: redraws the spinner on a terminal, prints a line (once per distinct text) otherwise */
  text(t: string): void;
  succeed(t: string): void;
  fail(t: string): void;
  stop(): void;
}

export function systemTerm(env: NodeJS.ProcessEnv = process.env): Term {
  const tty = Boolean(process.stdout.isTTY);
  const interactive = Boolean(process.stderr.isTTY) && env.TERM !== 'dumb';
  const color = !('NO_COLOR' in env) && (tty || interactive) && env.TERM !== 'dumb';
  const c = pc.createColors(color);
  const note = (line: string) => void process.stderr.write(`${line}\n`);
  return {
    tty,
    interactive,
    color,
    c,
    out: (line) => void process.stdout.write(`${line}\n`),
    note,
    progress(label, total) {
      if (!interactive) {
        // piped: one line when it starts and one when it ends
        note(`${label}…`);
        return { update: () => undefined, stop: () => undefined };
      }
      const bar = new SingleBar({
        format: `${label} [{bar}] {percentage}% | {value_h}/{total_h}`,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stderr,
        formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? bytes(v) : String(v)),
      });
      bar.start(total, 0, { value_h: bytes(0), total_h: bytes(total) });
      return {
        update: (done) => bar.update(done, { value_h: bytes(done), total_h: bytes(total) }),
        stop: () => bar.stop(),
      };
    },
    spinner(text) {
      return interactive ? ttySpinner(text) : lineSpinner(text, note, c);
    },
  };
}

/** On a terminal: yocto-spinner's line, redrawn in place. */
function ttySpinner(text: string): Spinner {
  const s = yoctoSpinner({ text, stream: process.stderr }).start();
  return {
    text: (t) => void (s.text = t),
    succeed: (t) => void s.success(t),
    fail: (t) => void s.error(t),
    stop: () => void s.stop(),
  };
}

/** Piped: each new status once, as a plain line. */
function lineSpinner(text: string, note: (l: string) => void, c: Colors): Spinner {
  let last = text;
  note(text);
  return {
    text: (t) => {
      if (t !== last) note((last = t));
    },
    succeed: (t) => note(`${c.green('✔')} ${t}`),
    fail: (t) => note(`${c.red('✖')} ${t}`),
    stop: () => undefined,
  };
}
