import { ConfigError } from './load-config';

/** Runs a config loader at boot; on a bad value prints the problems and exits 1. */
export function loadOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${service}: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
