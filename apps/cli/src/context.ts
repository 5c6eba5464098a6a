import type { Command } from 'commander';
import { connect, type Connection } from './client';
import { resolveTarget, type Target } from './config';
import { formatOf, type Format } from './output';
import type { Term } from './term';

/** What every command gets: the terminal, and the platform it talks to (resolved when first asked). */
export interface Ctx {
  term: Term;
  env: NodeJS.ProcessEnv;
  /** the global options: --profile and --url */
  globals(): { profile?: string; url?: string };
  target(): Target;
  connect(): Connection;
}

export function makeCtx(program: Command, term: Term, env: NodeJS.ProcessEnv): Ctx {
  const globals = () => program.opts<{ profile?: string; url?: string }>();
  return {
    term,
    env,
    globals,
    target: () => resolveTarget(globals(), env),
    connect: () => {
      const target = resolveTarget(globals(), env);
      // the API answers anonymous callers too (public apps): say why the answers may look empty
      if (!target.token) term.note(term.c.yellow(`not signed in to ${target.url}: you see only what anyone may see (run \`wharf login\`)`));
      return connect(target);
    },
  };
}

/** Adds `-o, --output <format>` (table, json or yaml; kubectl's convention) to a command that prints data. */
export function withOutput(cmd: Command): Command {
  return cmd.option('-o, --output <format>', 'table, json or yaml', 'table');
}
export const outputOf = (opts: { output?: string }): Format => formatOf(opts.output);

/** Help text listing examples, shown after the options. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
