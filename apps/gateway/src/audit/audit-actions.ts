/**
 * What a REST request does, as an audit action: `app.import`, `app.visibility`, `token.revoke`…
 * Derived from the route, so controllers need no annotations; unknown routes get a generic
 * `<resource>.<verb>` name.
 */
export interface ActionInfo {
  action: string;
  /** Route parameter holding the target, or `response` (the created object's id). */
  target: string | null | 'response';
}

type Rule = [method: string, route: RegExp, info: ActionInfo];
const P = (s: string) => new RegExp(`^/api/v1${s}/?$`);

const RULES: Rule[] = [
  ['POST', P('/bundles'), { action: 'app.import', target: 'response' }],
  ['PATCH', P('/apps/:id'), { action: 'app.visibility', target: 'id' }],
  ['DELETE', P('/apps/:id'), { action: 'app.delete', target: 'id' }],
  ['PUT', P('/apps/:name/owner'), { action: 'app.owner', target: 'name' }],
  ['PUT', P('/apps/:id/tags/:tag'), { action: 'app.tag', target: 'id' }],
  ['DELETE', P('/apps/:id/tags/:tag'), { action: 'app.untag', target: 'id' }],
  ['POST', P('/tags'), { action: 'tag.create', target: 'response' }],
  ['PATCH', P('/tags/:name'), { action: 'tag.update', target: 'name' }],
  ['DELETE', P('/tags/:name'), { action: 'tag.delete', target: 'name' }],
  ['POST', P('/tokens'), { action: 'token.create', target: 'response' }],
  ['DELETE', P('/tokens/:id'), { action: 'token.revoke', target: 'id' }],
  ['POST', P('/instances'), { action: 'instance.run', target: 'response' }],
  ['DELETE', P('/instances/:id'), { action: 'instance.terminate', target: 'id' }],
  ['POST', P('/instances/:id/shares'), { action: 'share.create', target: 'id' }],
  ['DELETE', P('/instances/:id/shares/:shareId'), { action: 'share.revoke', target: 'shareId' }],
  ['POST', P('/aliases'), { action: 'alias.create', target: 'response' }],
  ['PUT', P('/aliases/:name'), { action: 'alias.assign', target: 'name' }],
  ['POST', P('/aliases/:name/promote'), { action: 'alias.promote', target: 'name' }],
  ['DELETE', P('/aliases/:name'), { action: 'alias.delete', target: 'name' }],
];

const VERBS: Record<string, string> = { POST: 'create', PUT: 'put', PATCH: 'update', DELETE: 'delete', GET: 'read', HEAD: 'read' };

export function describeAction(method: string, routePath: string | undefined, params: Record<string, string> = {}): ActionInfo & { targetValue: string | null } {
  const path = routePath ?? '';
  const rule = RULES.find(([m, re]) => m === method && re.test(path));
  let info: ActionInfo;
  if (rule) info = rule[2];
  else {
    const segs = path.replace(/^\/api\/v1\/?/, '').split('/').filter(Boolean);
    const resource = (segs[0] ?? 'api').replace(/s$/, '');
    const sub = segs.length > 1 && !segs[segs.length - 1]!.startsWith(':') ? segs[segs.length - 1] : null;
    // secrets: never "put" a value into the log, only that it changed
    const verb = resource === 'secret' && method !== 'DELETE' && method !== 'GET' ? 'change' : sub && method === 'POST' ? sub : (VERBS[method] ?? method.toLowerCase());
    const param = segs.find((s) => s.startsWith(':'))?.slice(1) ?? null;
    info = { action: `${resource}.${verb}`, target: param };
  }
  const targetValue = info.target && info.target !== 'response' ? (params[info.target] ?? null) : null;
  return { ...info, targetValue };
}

/** Request-body fields worth keeping (never values of secrets, passwords or tokens). */
const BODY_FIELDS = new Set([
  'visibility', 'name', 'title', 'user', 'roles', 'readOnly', 'expiresInDays', 'visitorRoles',
  'app', 'appId', 'appVersionId', 'version', 'runtimeVersion', 'tag', 'key', 'owner',
  'expiresIn', 'expiresAt', 'oneTime', 'anonymous', 'instanceId', 'primary',
]);
const SECRETISH = /secret|password|passwd|token|credential|cookie|authorization|private|value|code/i;
const TOKENISH = /(wharf_pat_[A-Za-z0-9]+|wsh_[A-Za-z0-9_-]+|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|wt1\.[A-Za-z0-9_.-]+)/g;

const clean = (v: unknown): unknown => {
  if (typeof v === 'string') return v.replace(TOKENISH, '[redacted]').slice(0, 200);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  if (Array.isArray(v)) return v.slice(0, 20).map(clean).filter((x) => x !== undefined && typeof x !== 'object');
  return undefined;
};

/** Details safe to store: only known, non-secret fields with primitive values, token-looking strings redacted. */
export function safeDetails(input: unknown, allow: Set<string> | null = BODY_FIELDS): Record<string, unknown> | undefined {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (allow ? !allow.has(k) : SECRETISH.test(k) && k !== 'tokenId') continue;
    const c = clean(v);
    if (c !== undefined) out[k] = c;
  }
  return Object.keys(out).length ? out : undefined;
}
