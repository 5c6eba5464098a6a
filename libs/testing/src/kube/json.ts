/** JSON helpers of the fake API server: merge patch (RFC 7386), JSON patch (RFC 6902), label selectors. */

export type Rec = Record<string, unknown>;

export function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function rec(x: unknown): Rec {
  return isRec(x) ? x : {};
}

export function clone<T>(x: T): T {
  return structuredClone(x);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRec(patch)) return clone(patch);
  const out: Rec = isRec(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class PatchError extends Error {}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRec(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw new PatchError(`path /${tokens.join('/')} does not exist`);
    if (cur === undefined) throw new PatchError(`path /${tokens.join('/')} does not exist`);
  }
  return cur;
}

function parentOf(doc: unknown, tokens: string[]): { parent: unknown; key: string } {
  if (tokens.length === 0) throw new PatchError('the root cannot be the target of this operation');
  return { parent: getAt(doc, tokens.slice(0, -1)), key: tokens[tokens.length - 1] };
}

function arrayIndex(arr: unknown[], key: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new PatchError(`invalid array index ${key}`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index ${key} out of bounds`);
  return i;
}

function addAt(doc: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, clone(value));
  else if (isRec(parent)) parent[key] = clone(value);
  else throw new PatchError(`cannot add at /${tokens.join('/')}`);
  return doc;
}

function removeAt(doc: unknown, tokens: string[]): unknown {
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false), 1);
  else if (isRec(parent) && Object.hasOwn(parent, key)) delete parent[key];
  else throw new PatchError(`path /${tokens.join('/')} does not exist`);
  return doc;
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch is an array of operations');
  let doc = clone(target);
  for (const raw of ops) {
    const op = rec(raw);
    const path = pointer(String(op.path ?? ''));
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, op.value);
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        getAt(doc, path);
        doc = path.length === 0 ? clone(op.value) : addAt(removeAt(doc, path), path, op.value);
        break;
      case 'move': {
        const from = pointer(String(op.from ?? ''));
        const value = getAt(doc, from);
        doc = addAt(removeAt(doc, from), path, value);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, getAt(doc, pointer(String(op.from ?? ''))));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value)) throw new PatchError(`test operation failed at ${String(op.path)}`);
        break;
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' };

export class SelectorError extends Error {}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses. */
function terms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

/** A label selector as `kubectl -l` and `labelSelector=` write it: `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`. */
export function parseLabelSelector(s: string): Requirement[] {
  const reqs: Requirement[] = [];
  const check = (key: string, values: string[]) => {
    if (!LABEL_KEY.test(key)) throw new SelectorError(`invalid label key "${key}"`);
    for (const v of values) if (!LABEL_VALUE.test(v)) throw new SelectorError(`invalid label value: "${v}"`);
  };
  for (const t of terms(s)) {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(t))) {
      const values = m[3].split(',').map((v) => v.trim());
      check(m[1], values);
      reqs.push({ key: m[1], op: m[2] as 'in' | 'notin', values });
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(t))) {
      check(m[1], [m[3]]);
      reqs.push({ key: m[1], op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]] });
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(t))) {
      check(m[1], []);
      reqs.push({ key: m[1], op: '!' });
    } else if ((m = /^([^\s!=(),]+)$/.exec(t))) {
      check(m[1], []);
      reqs.push({ key: m[1], op: 'exists' });
    } else {
      throw new SelectorError(`unable to parse requirement: "${t}"`);
    }
  }
  return reqs;
}

export function matchesLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case '!':
        return !has;
    }
  });
}

/** `matchLabels` + `matchExpressions` of a LabelSelector object, as the selector string. */
export function labelSelectorString(sel: unknown): string {
  const s = rec(sel);
  const parts = Object.entries(rec(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of Array.isArray(s.matchExpressions) ? s.matchExpressions : []) {
    const x = rec(e);
    const values = Array.isArray(x.values) ? x.values.map(String).join(',') : '';
    if (x.operator === 'In') parts.push(`${String(x.key)} in (${values})`);
    else if (x.operator === 'NotIn') parts.push(`${String(x.key)} notin (${values})`);
    else if (x.operator === 'Exists') parts.push(String(x.key));
    else if (x.operator === 'DoesNotExist') parts.push(`!${String(x.key)}`);
  }
  return parts.join(',');
}
