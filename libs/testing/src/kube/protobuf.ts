/**
 * Kubernetes protobuf request bodies, decoded for the few kinds clients send that way to the
 * fake: client-go's typed clients (kubectl's `create secret|configmap|namespace`, helm's release
 * Secrets, DeleteOptions) write `application/vnd.kubernetes.protobuf`. The schemas below are the
 * field numbers of k8s.io/api's generated.proto for those kinds. A field not listed is refused,
 * never dropped: a silently lost field would make the fake lie.
 */
import type { Rec } from './json';

type Field =
  | { name: string; type: 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'mapString' | 'mapBytes'; repeated?: boolean }
  | { name: string; type: 'message'; schema: Schema; repeated?: boolean };
type Schema = { [n: number]: Field };

const ownerReference: Schema = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const objectMeta: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' },
  8: { name: 'creationTimestamp', type: 'time' },
  9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int' },
  11: { name: 'labels', type: 'mapString' },
  12: { name: 'annotations', type: 'mapString' },
  13: { name: 'ownerReferences', type: 'message', schema: ownerReference, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const metadata: Field = { name: 'metadata', type: 'message', schema: objectMeta };

export const PROTOBUF_KINDS: Record<string, Schema> = {
  Secret: { 1: metadata, 2: { name: 'data', type: 'mapBytes' }, 3: { name: 'type', type: 'string' }, 4: { name: 'stringData', type: 'mapString' }, 5: { name: 'immutable', type: 'bool' } },
  ConfigMap: { 1: metadata, 2: { name: 'data', type: 'mapString' }, 3: { name: 'binaryData', type: 'mapBytes' }, 4: { name: 'immutable', type: 'bool' } },
  Namespace: {
    1: metadata,
    2: { name: 'spec', type: 'message', schema: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
    3: { name: 'status', type: 'message', schema: { 1: { name: 'phase', type: 'string' } } },
  },
  DeleteOptions: {
    1: { name: 'gracePeriodSeconds', type: 'int' },
    2: { name: 'preconditions', type: 'message', schema: { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } } },
    3: { name: 'orphanDependents', type: 'bool' },
    4: { name: 'propagationPolicy', type: 'string' },
    5: { name: 'dryRun', type: 'string', repeated: true },
  },
};

export class ProtobufError extends Error {}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  }
  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new ProtobufError('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

/** Signed int64 from a two's-complement varint (as Go writes negative numbers). */
function int64(n: number): number {
  return n >= 2 ** 63 ? n - 2 ** 64 : n;
}

function decode(buf: Buffer, schema: Schema, where: string): Rec {
  const r = new Reader(buf);
  const out: Rec = {};
  while (!r.done) {
    const tag = r.varint();
    const n = Math.floor(tag / 8);
    const wire = tag & 7;
    const f = schema[n];
    if (!f) throw new ProtobufError(`field ${n} of ${where} is not understood by the fake API server`);
    if (wire !== (f.type === 'int' || f.type === 'bool' ? 0 : 2)) throw new ProtobufError(`field ${n} of ${where}: unexpected wire type ${wire}`);
    let value: unknown;
    switch (f.type) {
      case 'string':
        value = r.bytes().toString('utf8');
        break;
      case 'bytes':
        value = r.bytes().toString('base64');
        break;
      case 'int':
        value = int64(r.varint());
        break;
      case 'bool':
        value = r.varint() !== 0;
        break;
      case 'time': {
        const t = decode(r.bytes(), { 1: { name: 'seconds', type: 'int' }, 2: { name: 'nanos', type: 'int' } }, `${where}.${f.name}`);
        value = new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        break;
      }
      case 'mapString':
      case 'mapBytes': {
        const entry = decode(r.bytes(), { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: f.type === 'mapString' ? 'string' : 'bytes' } }, `${where}.${f.name}`);
        const map = (out[f.name] ?? {}) as Rec;
        map[String(entry.key ?? '')] = entry.value ?? '';
        out[f.name] = map;
        continue;
      }
      case 'message':
        value = decode(r.bytes(), f.schema, `${where}.${f.name}`);
        break;
    }
    // gogo-protobuf writes every non-pointer field; the real server's JSON omits the empty ones.
    if (!f.repeated && (value === '' || (f.name === 'generation' && value === 0))) continue;
    if (f.repeated) out[f.name] = [...((out[f.name] as unknown[] | undefined) ?? []), value];
    else out[f.name] = value;
  }
  return out;
}

/** `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw} → the object as JSON would carry it. */
export function decodeKubeProtobuf(body: Buffer): Rec {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw new ProtobufError('not a Kubernetes protobuf envelope (no k8s\\0 prefix)');
  const unknown = decode(
    body.subarray(4),
    {
      1: { name: 'typeMeta', type: 'message', schema: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
      2: { name: 'raw', type: 'bytes' },
      3: { name: 'contentEncoding', type: 'string' },
      4: { name: 'contentType', type: 'string' },
    },
    'runtime.Unknown',
  );
  const typeMeta = (unknown.typeMeta ?? {}) as Rec;
  const kind = String(typeMeta.kind ?? '');
  const schema = PROTOBUF_KINDS[kind];
  if (!schema) throw new ProtobufError(`protobuf bodies of kind ${kind || '(none)'} are not supported by the fake API server (it reads ${Object.keys(PROTOBUF_KINDS).join(', ')}; send JSON)`);
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { ...(typeMeta.apiVersion ? { apiVersion: typeMeta.apiVersion } : {}), kind, ...decode(raw, schema, kind) };
}
