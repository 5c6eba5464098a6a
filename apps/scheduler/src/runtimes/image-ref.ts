/**
 * Image references the way Docker reads them: the first component is a registry when it has a
 * `.` or `:` or is `localhost`; otherwise the image is on Docker Hub (`docker.io`, with `library/`
 * for one-component names). `wharf/python:3.11` → registry `docker.io`, repository `docker.io/wharf/python`.
 */
export function parseImage(image: string): { registry: string; repository: string } {
  const noDigest = image.split('@')[0]!;
  const parts = noDigest.split('/');
  const first = parts[0]!;
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  const rest = hasRegistry ? parts.slice(1) : parts.length === 1 ? ['library', ...parts] : parts;
  const last = rest.length - 1;
  rest[last] = rest[last]!.replace(/:[^:]*$/, '');
  return { registry, repository: `${registry}/${rest.join('/')}` };
}

/** An allowlist entry is a registry host (`ghcr.io`) or a repository prefix (`ghcr.io/acme`). */
export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  const { registry, repository } = parseImage(image);
  return allowed.some((a) => {
    const entry = a.replace(/\/+$/, '');
    return entry === registry || repository === entry || repository.startsWith(`${entry}/`);
  });
}
