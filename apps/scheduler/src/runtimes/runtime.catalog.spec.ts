import { WharfError } from '@wharf/contracts';
import { imageAllowed, parseImage } from './image-ref';
import { RuntimeCatalog } from './runtime.catalog';

const catalog = new RuntimeCatalog(
  [
    { Name: 'python-3.11', Image: 'wharf/python:3.11', Default: true, State: 'ACTIVE', StateReason: '' },
    { Name: 'python-3.10', Image: 'wharf/python:3.10', Default: false, State: 'DEPRECATED', StateReason: 'ends soon', Python: 'python3.10' },
    { Name: 'python-3.8', Image: 'wharf/python:3.8', Default: false, State: 'DISABLED', StateReason: 'end of life' },
  ],
  'python3',
);

const error = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as WharfError;
  }
  throw new Error('expected an error');
};

describe('RuntimeCatalog', () => {
  it('lists every runtime with its state', () => {
    expect(catalog.list().map((r) => [r.name, r.state, r.default, r.stateReason])).toEqual([
      ['python-3.11', 'ACTIVE', true, null],
      ['python-3.10', 'DEPRECATED', false, 'ends soon'],
      ['python-3.8', 'DISABLED', false, 'end of life'],
    ]);
  });

  it('picks the requested runtime, else the app default, else the catalogue default', () => {
    expect(catalog.resolve(undefined, null)).toEqual({ name: 'python-3.11', image: 'wharf/python:3.11', python: 'python3', warnings: [] });
    expect(catalog.resolve(undefined, 'python-3.10').name).toBe('python-3.10');
    expect(catalog.resolve('python-3.11', 'python-3.10').name).toBe('python-3.11');
  });

  it('warns about deprecated runtimes and maps them to their interpreter', () => {
    const r = catalog.resolve('python-3.10', null);
    expect(r.python).toBe('python3.10');
    expect(r.warnings[0]).toMatch(/python-3\.10 is deprecated: ends soon; consider upgrading the instance to python-3\.11/);
  });

  it('refuses disabled and unknown runtimes, naming the reason and the alternatives', () => {
    const d = error(() => catalog.resolve('python-3.8', null));
    expect(d.code).toBe('INVALID');
    expect(d.message).toBe('runtime python-3.8 is disabled: end of life; choose one of: python-3.11, python-3.10');
    const u = error(() => catalog.resolve(undefined, 'python-2.7'));
    expect(u.message).toMatch(/runtime python-2\.7 \(named by the app's RuntimeVersion\) is not offered here/);
  });
});

describe('image references', () => {
  it.each([
    ['wharf/python:3.11', 'docker.io', 'docker.io/wharf/python'],
    ['python:3.11', 'docker.io', 'docker.io/library/python'],
    ['ghcr.io/acme/py:1@sha256:abc', 'ghcr.io', 'ghcr.io/acme/py'],
    ['localhost:5000/py:1', 'localhost:5000', 'localhost:5000/py'],
  ])('%s', (image, registry, repository) => expect(parseImage(image)).toEqual({ registry, repository }));

  it('allows registries and repository prefixes', () => {
    expect(imageAllowed('wharf/python:3.11', ['docker.io'])).toBe(true);
    expect(imageAllowed('ghcr.io/acme/py:1', ['ghcr.io/acme'])).toBe(true);
    expect(imageAllowed('ghcr.io/acmeevil/py:1', ['ghcr.io/acme'])).toBe(false);
    expect(imageAllowed('evil.io/wharf/python:3.11', ['docker.io'])).toBe(false);
  });
});
