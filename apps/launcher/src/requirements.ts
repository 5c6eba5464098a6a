/** True when a requirements.txt names at least one requirement (comments and blank lines do not count). */
export function hasRequirements(text: string | null): boolean {
  if (text === null) return false;
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .some((l) => l.length > 0);
}

/** Venv cache key: one venv per bundle content and runtime. */
export const venvKey = (sha256: string, runtime: string): string => `${sha256}-${runtime.replace(/[^a-zA-Z0-9.-]/g, '_')}`;
