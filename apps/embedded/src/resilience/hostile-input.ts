import net from 'node:net';

/**
 * Hostile input for the REST API: what a fuzzer, a scanner or a confused client sends. Each case is
 * one request; the spec expects a 4xx with a clear JSON error for every one (or, for what Node's
 * HTTP parser refuses before Wharf sees it, Node's own 4xx), no process dying and nothing stored.
 */
export interface HostileCase {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Refused by Node's HTTP parser itself (no JSON body from Wharf). */
  byNode?: boolean;
  /** What the error message must say, beyond being clear (10+ characters). */
  message?: RegExp;
}

export interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** One HTTP/1.1 request written byte for byte (headers a fetch client would refuse), its answer read back. */
export function rawRequest(port: number, head: string, body: Uint8Array | string = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer within 15 s')));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (e) => (chunks.length ? finish() : reject(e)));
    socket.on('end', finish);
    socket.on('close', finish);
    let done = false;
    function finish() {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const headers = end < 0 ? text : text.slice(0, end);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers, body: end < 0 ? '' : text.slice(end + 4) });
    }
    socket.write(head);
    if (body.length) socket.write(body);
  });
}

const json = { 'content-type': 'application/json' };

/** The fixed cases: bodies, types, sizes, ids and names, headers. */
export function hostileCases(appId: string, instanceId: string): HostileCase[] {
  const big = `{"name":"${'a'.repeat(2 * 1024 * 1024)}"}`;
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
  const ids = ['..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e', 'a%00b', '%E2%80%AEevil', 'ｈｅｌｌｏ', '%F0%9F%92%A5', `${'x'.repeat(5000)}`, '%ff%fe', "1'%20OR%20'1'='1", '%3Cscript%3E'];
  const cases: HostileCase[] = [
    { what: 'invalid JSON', method: 'POST', path: '/api/v1/tokens', headers: json, body: '{"user": "bob",', message: /^the request body is not valid JSON \(.+\); send a JSON object$/ },
    { what: 'JSON that is not an object', method: 'POST', path: `/api/v1/apps/${appId}/instances`, headers: json, body: '"run"' },
    { what: 'null body', method: 'POST', path: `/api/v1/apps/${appId}/instances`, headers: json, body: 'null' },
    { what: 'deeply nested JSON', method: 'POST', path: `/api/v1/apps/${appId}/instances`, headers: json, body: deep },
    { what: 'wrong types', method: 'POST', path: `/api/v1/apps/${appId}/instances`, headers: json, body: '{"visibility": 5, "idempotencyKey": ["x"]}' },
    { what: 'unknown enum value', method: 'POST', path: `/api/v1/apps/${appId}/instances`, headers: json, body: '{"visibility": "EVERYONE"}' },
    { what: 'prototype pollution keys', method: 'POST', path: '/api/v1/tokens', headers: json, body: '{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"x": 1}}, "roles": "admin"}' },
    { what: 'a token for a name with control characters', method: 'POST', path: '/api/v1/tokens', headers: json, body: JSON.stringify({ name: 'a\u0000b\u202e', expiresInDays: 'soon' }) },
    { what: 'a 2 MB JSON body', method: 'POST', path: '/api/v1/tokens', headers: json, body: big },
    { what: 'form-encoded body where JSON is expected', method: 'POST', path: `/api/v1/apps/${appId}/instances`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'visibility=PUBLIC' },
    { what: 'a bundle that is not a zip', method: 'POST', path: '/api/v1/bundles', headers: { 'content-type': 'application/zip' }, body: 'PK\u0003\u0004 but not really a zip at all' },
    { what: 'an empty bundle', method: 'POST', path: '/api/v1/bundles', headers: { 'content-type': 'application/zip' }, body: '' },
    { what: 'a negative limit', method: 'GET', path: '/api/v1/apps?limit=-1' },
    { what: 'a limit that is not a number', method: 'GET', path: '/api/v1/instances?limit=lots' },
    { what: 'a forged cursor', method: 'GET', path: '/api/v1/apps?cursor=%ff%00%22' },
    { what: 'a user secret with a traversal name', method: 'PUT', path: '/api/v1/user-secrets/..%2F..%2Fsecrets', headers: json, body: '{"data": {"k": "v"}}' },
    { what: 'a user secret with a huge value', method: 'PUT', path: '/api/v1/user-secrets/big', headers: json, body: JSON.stringify({ data: { k: 'v'.repeat(900_000) } }) },
    { what: 'an alias with unicode look-alikes', method: 'POST', path: '/api/v1/aliases', headers: json, body: JSON.stringify({ name: 'ｐａｙｒｏｌｌ', instanceId }) },
    { what: 'a share of an instance that is not there', method: 'POST', path: '/api/v1/instances/zzzzzzzzzz/shares', headers: json, body: '{"with": "bob"}' },
    { what: 'an upgrade to a version id with a traversal', method: 'POST', path: `/api/v1/instances/${instanceId}/upgrade`, headers: json, body: '{"appVersionId": "../../hello"}' },
  ];
  for (const id of ids) {
    cases.push({ what: `app id ${id.slice(0, 24)}`, method: 'GET', path: `/api/v1/apps/${id}` });
    cases.push({ what: `instance id ${id.slice(0, 24)}`, method: 'DELETE', path: `/api/v1/instances/${id}` });
  }
  return cases;
}


const ODD_VALUES: unknown[] = [null, true, -1, 0, 1e308, -0.5, '', ' ', 'x'.repeat(10_000), '\u0000', '\u202e', '../../', '%00', '<script>', [], [[]], {}, { $ne: null }, '😀'.repeat(100), 'PUBLIC', 'PRIVATE', 'admin'];
const FIELDS = ['visibility', 'idempotencyKey', 'lifecycle', 'name', 'roles', 'user', 'expiresInDays', 'readOnly', 'data', 'appVersionId', 'instanceId', 'with', 'mode', 'env', 'resources', 'runtime'];

/**
 * `n` random JSON bodies of odd field names and values for a write endpoint, each with `poison`
 * set to one of `bad` (a value that endpoint must refuse), so that none may create anything.
 */
export function randomBodies(n: number, rnd: () => number, poison: string, bad: readonly unknown[]): string[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const body: Record<string, unknown> = {};
    const fields = Math.floor(rnd() * 4);
    for (let f = 0; f < fields; f++) body[pick(FIELDS)] = pick(ODD_VALUES);
    body[poison] = pick(bad);
    out.push(JSON.stringify(body));
  }
  return out;
}
