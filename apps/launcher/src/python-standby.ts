import { spawn, type ChildProcess } from 'node:child_process';
import { LIMITED_MALLOC_ARENAS, LIMITED_STACK_BYTES, type StartedProcess } from './app-process';

/**
 * Runs in a Python started ahead of time: reads one JSON line from stdin, then becomes the app
 * exactly as `python -m <module>` would (runpy's `_run_module_as_main`, which is what `-m` calls),
 * in the app's folder, with the app's environment, stdin on /dev/null, and the memory limit that
 * `prlimit --as` would have set. End-of-file instead of a line: nothing to run, exit 0.
 */
const BOOT = `# wharf: a standby interpreter; it becomes the app (python -m <module>) when its instance arrives
def _wharf_boot():
    import json, os, sys
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    a = json.loads(line)
    os.chdir(a["cwd"])
    os.environ.clear()
    os.environ.update(a["env"])
    if a.get("memory"):
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (a["memory"], a["memory"]))
        # as prlimit --stack and MALLOC_ARENA_MAX would have set them at exec (see app-process.ts)
        import threading
        threading.stack_size(a["stack"])
        try:
            import ctypes
            ctypes.CDLL(None).mallopt(-8, int(a["arenas"]))  # M_ARENA_MAX
        except Exception:
            pass
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    sys.stdin = open(0, closefd=False)
    sys.path[0] = os.getcwd()
    return a["module"]
_m = _wharf_boot()
del _wharf_boot
__import__("runpy")._run_module_as_main(globals().pop("_m"), True)
`;

/**
 * Variables a Python interpreter reads while it starts (so an interpreter started before the app's
 * environment was known would differ from `python -m` started with it): the app gets a standby only
 * when these are the same in both environments.
 */
const STARTUP_SENSITIVE = /^(PYTHON.*|LANG|LANGUAGE|LC_.*|VIRTUAL_ENV|TZ)$/;

/**
 * An interpreter started while a standby launcher waits for its instance, so that the app does not
 * pay for Python's own start (~50 ms of CPU here, most of a small app's start) when its instance
 * is launched. Used only when the app runs on this very interpreter (no venv) with an environment
 * that does not change how Python starts; otherwise it is stopped and the app started as usual.
 */
export class PythonStandby {
  private readonly child: ChildProcess;
  private readonly exited: StartedProcess['exited'];

  constructor(
    readonly python: string,
    private readonly env: Record<string, string>,
  ) {
    this.child = spawn(python, ['-c', BOOT], { env, stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' });
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('error', () => resolve({ code: 127, signal: null }));
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Can the app start here instead of in a new `python -m`? */
  fits(python: string, venv: string | null, appEnv: Record<string, string>): boolean {
    if (python !== this.python || venv !== null) return false;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return false;
    const keys = new Set([...Object.keys(appEnv), ...Object.keys(this.env)].filter((k) => STARTUP_SENSITIVE.test(k)));
    return [...keys].every((k) => appEnv[k] === this.env[k]);
  }

  /** Becomes the app: `module` in `cwd` with `env`. Output goes to `onOutput`, as for a started app. */
  run(opts: { module: string; cwd: string; env: Record<string, string>; memoryLimitBytes?: number; onOutput: (stream: 'out' | 'err', data: Buffer) => void }): StartedProcess {
    this.child.stdout!.on('data', (d: Buffer) => opts.onOutput('out', d));
    this.child.stderr!.on('data', (d: Buffer) => opts.onOutput('err', d));
    this.child.stdin!.end(
      `${JSON.stringify({ module: opts.module, cwd: opts.cwd, env: opts.env, memory: opts.memoryLimitBytes ?? null, stack: LIMITED_STACK_BYTES, arenas: LIMITED_MALLOC_ARENAS })}\n`,
    );
    return { child: this.child, exited: this.exited };
  }

  /** Not needed after all: stop it (end-of-file makes it exit; SIGKILL if it does not). */
  discard(): void {
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    t.unref();
    void this.exited.then(() => clearTimeout(t));
  }
}
