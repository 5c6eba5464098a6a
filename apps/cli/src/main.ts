import { Command, CommanderError } from 'commander';
import { VERSION } from './client';
import { registerAdmin } from './commands/admin';
import { registerApp } from './commands/app';
import { registerBundle } from './commands/bundle';
import { registerCompletion } from './commands/completion';
import { registerConfig } from './commands/config';
import { registerExec } from './commands/exec';
import { registerInstance } from './commands/instance';
import { registerSecret } from './commands/secret';
import { registerToken } from './commands/token';
import { makeCtx } from './context';
import { CliError } from './errors';
import { systemTerm } from './term';

/**
 * `wharf`: Wharf from a terminal. Every command talks only to the public REST API of the gateway
 * of the current profile (`wharf config setup`), with a personal access token from device login.
 */
export function buildProgram(env: NodeJS.ProcessEnv = process.env) {
  const term = systemTerm(env);
  const program = new Command('wharf')
    .description("Wharf's command line: publish, run and manage data and AI web apps, and administer the platform")
    .version(VERSION, '-V, --version')
    .option('--profile <name>', 'the platform profile to use (default: the current one; env WHARF_PROFILE)')
    .option('--url <url>', "the gateway's URL, over the profile's (env WHARF_URL)")
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true)
    .enablePositionalOptions(false)
    .exitOverride();
  program.addHelpText(
    'after',
    `
Environment: WHARF_URL and WHARF_TOKEN override the profile's URL and token; WHARF_PROFILE picks
the profile; WHARF_CONFIG is the config file (default ~/.config/wharf/config.json); NO_COLOR turns
colour off. Exit codes: 0 done, 1 failed, 2 used wrongly.

Getting started:
  $ wharf config setup --url https://wharf.example.com   # device login: no browser needed here
  $ wharf bundle init my-app && wharf bundle deploy my-app
`,
  );
  const ctx = makeCtx(program, term, env);
  registerConfig(program, ctx);
  registerBundle(program, ctx);
  registerExec(program, ctx);
  registerApp(program, ctx);
  registerInstance(program, ctx);
  registerSecret(program, ctx);
  registerAdmin(program, ctx);
  registerToken(program, ctx);
  registerCompletion(program, ctx);
  return { program, term };
}

/** Runs the CLI: exit code 0 done, 1 failed, 2 used wrongly (commander's own errors too). */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { program, term } = buildProgram(env);
  // every subcommand exits through the same override
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander has printed the problem
    }
    if (e instanceof CliError) {
      // Ctrl-C (exit 130) is the user's choice, not an error
      term.note((e.exitCode as number) === 130 ? e.message : `${term.c.red('error:')} ${e.message}`);
      return e.exitCode;
    }
    term.note(`${term.c.red('error:')} ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** The process's entry (bin/wharf.js, or node dist/wharf.cjs): runs the command line and sets the exit code. */
export function main(): void {
  // `wharf app list | head`: a reader that stops early ends the command quietly, as in any Unix tool
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  // Ctrl-C: commands that must clean up listen for the signal themselves (an upload aborts); the rest end here
  process.once('SIGINT', () => {
    if (process.listenerCount('SIGINT') === 0) process.exit(130);
  });
  void run(process.argv).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
