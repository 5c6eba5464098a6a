import { jsonPatch, labelSelectorString, matchesLabels, mergePatch, parseLabelSelector, PatchError, SelectorError } from './json';

describe('fake API server JSON helpers', () => {
  it('merge patch (RFC 7386): null removes, objects merge, arrays and scalars replace', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { a: null, b: { c: null, x: 9 }, e: [3] })).toEqual({ b: { d: 3, x: 9 }, e: [3] });
    expect(mergePatch({ a: 1 }, 'x')).toBe('x');
  });

  it('JSON patch (RFC 6902): add, remove, replace, move, copy, test, with errors', () => {
    const doc = { a: { b: [1, 2] }, 'x/y': 'z' };
    expect(
      jsonPatch(doc, [
        { op: 'add', path: '/a/b/-', value: 3 },
        { op: 'add', path: '/a/b/0', value: 0 },
        { op: 'remove', path: '/x~1y' },
        { op: 'replace', path: '/a/b/1', value: 'one' },
        { op: 'copy', from: '/a/b', path: '/c' },
        { op: 'move', from: '/c', path: '/d' },
        { op: 'test', path: '/d/3', value: 3 },
      ]),
    ).toEqual({ a: { b: [0, 'one', 2, 3] }, d: [0, 'one', 2, 3] });
    expect(doc).toEqual({ a: { b: [1, 2] }, 'x/y': 'z' });
    expect(() => jsonPatch(doc, [{ op: 'test', path: '/a/b/0', value: 2 }])).toThrow(PatchError);
    expect(() => jsonPatch(doc, [{ op: 'remove', path: '/nope' }])).toThrow(PatchError);
    expect(() => jsonPatch(doc, [{ op: 'replace', path: '/a/b/5', value: 1 }])).toThrow(PatchError);
    expect(() => jsonPatch(doc, { op: 'add' })).toThrow(PatchError);
  });

  it('label selectors: =, ==, !=, in, notin, exists, !key', () => {
    const l = { app: 'web', tier: 'front', 'app.kubernetes.io/managed-by': 'wharf' };
    const m = (s: string) => matchesLabels(parseLabelSelector(s), l);
    expect(m('')).toBe(true);
    expect(m('app=web,app.kubernetes.io/managed-by==wharf')).toBe(true);
    expect(m('app!=web')).toBe(false);
    expect(m('app!=db')).toBe(true);
    expect(m('missing!=x')).toBe(true);
    expect(m('tier in (back, front)')).toBe(true);
    expect(m('tier notin (back,front)')).toBe(false);
    expect(m('missing notin (x)')).toBe(true);
    expect(m('tier')).toBe(true);
    expect(m('!tier')).toBe(false);
    expect(m('!missing,app')).toBe(true);
    expect(() => parseLabelSelector('tier in (a')).toThrow(SelectorError);
    expect(() => parseLabelSelector('a=b=c')).toThrow(SelectorError);
    expect(() => parseLabelSelector('-bad=x')).toThrow(SelectorError);
  });

  it('LabelSelector objects as selector strings', () => {
    expect(labelSelectorString({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] })).toBe('app=web,tier in (a,b),!x');
  });
});
