import { createHash } from 'node:crypto';
import { InstanceRecordSchema, type InstanceRecord } from '../../instances/instance.record';

/**
 * How the Kubernetes driver keeps an instance's record on the cluster, which is its only store:
 * labels to select by (every object of an instance carries them, so `kubectl get … -l` finds them
 * all) and one annotation with the whole record, on the instance's Deployment. A scheduler that
 * restarts rebuilds everything from these.
 *
 *   kubectl get deploy,svc,secret,pvc,netpol -l app.kubernetes.io/managed-by=wharf
 *   kubectl get deploy -l wharf.dev/instance=<id>
 *   kubectl get deploy -l wharf.dev/owner=<owner label>     (see ownerLabel)
 */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  instance: 'wharf.dev/instance',
  owner: 'wharf.dev/owner',
  appVersion: 'wharf.dev/app-version',
  runtime: 'wharf.dev/runtime',
} as const;

export const MANAGED_BY = 'wharf';

/** The annotation holding the instance record (JSON), and the one holding its schema version. */
export const RECORD_ANNOTATION = 'wharf.dev/record';
export const RECORD_VERSION_ANNOTATION = 'wharf.dev/record-version';
const RECORD_VERSION = '1';

/** On a pod template: the generation (start) of the instance its pods run. */
export const GENERATION_ANNOTATION = 'wharf.dev/generation';
/** On a Deployment: the generation its pod template was last started with, and when. */
export const STARTED_GENERATION_ANNOTATION = 'wharf.dev/started-generation';
export const STARTED_AT_ANNOTATION = 'wharf.dev/started-at';

/** `app.kubernetes.io/managed-by=wharf`: every object the driver creates. */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;

/** A label value: at most 63 characters, `[A-Za-z0-9]` at both ends, `-_.` inside (or empty). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}

/**
 * A label value for anything (a user's sub such as `svc:alice` or an OIDC UUID, an app version id):
 * the value itself when it is one, else its readable part followed by a hash of the whole, so that
 * two different inputs never share a label and the label still says whose it is.
 */
export function labelValue(input: string): string {
  if (isLabelValue(input)) return input;
  const hash = createHash('sha256').update(input).digest('hex').slice(0, 10);
  const readable = input
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63 - hash.length - 1)
    .replace(/[^A-Za-z0-9]+$/, '');
  return readable ? `${readable}-${hash}` : hash;
}

/** The selector of one owner's instances (`kubectl get deploy -l wharf.dev/owner=…`). */
export const ownerLabel = (sub: string): string => labelValue(sub);

/** The labels every object of an instance carries. */
export function instanceLabels(r: Pick<InstanceRecord, 'id' | 'appName' | 'owner' | 'appVersionId' | 'runtime'>): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.name]: labelValue(r.appName),
    [LABELS.instance]: r.id,
    [LABELS.owner]: ownerLabel(r.owner.sub),
    [LABELS.appVersion]: labelValue(r.appVersionId),
    [LABELS.runtime]: labelValue(r.runtime),
  };
}

/** The annotations of an instance's Deployment: its whole record (never secret values: see InstanceRecord). */
export function recordAnnotations(r: InstanceRecord): Record<string, string> {
  return { [RECORD_ANNOTATION]: JSON.stringify(r), [RECORD_VERSION_ANNOTATION]: RECORD_VERSION };
}

export type RecordReading =
  | { ok: true; record: InstanceRecord }
  /** Labelled as Wharf's, but its record is missing or unreadable: an orphan for reconcile to report or remove. */
  | { ok: false; instance: string | null; reason: string };

/**
 * The record of an instance from its Deployment's metadata. The labels must agree with the record
 * (an edit by hand that moves an object to another instance or owner is refused, not believed).
 */
export function readRecord(meta: { labels?: Record<string, string> | null; annotations?: Record<string, string> | null }): RecordReading {
  const labels = meta.labels ?? {};
  const instance = labels[LABELS.instance] ?? null;
  if (labels[LABELS.managedBy] !== MANAGED_BY) return { ok: false, instance, reason: `not labelled ${MANAGED_SELECTOR}` };
  const raw = meta.annotations?.[RECORD_ANNOTATION];
  if (!raw) return { ok: false, instance, reason: `the annotation ${RECORD_ANNOTATION} is missing` };
  const version = meta.annotations?.[RECORD_VERSION_ANNOTATION];
  if (version !== RECORD_VERSION) return { ok: false, instance, reason: `${RECORD_VERSION_ANNOTATION} is ${version ?? 'missing'}, expected ${RECORD_VERSION}` };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, instance, reason: `the annotation ${RECORD_ANNOTATION} is not JSON` };
  }
  const parsed = InstanceRecordSchema.safeParse(json);
  if (!parsed.success) return { ok: false, instance, reason: `the annotation ${RECORD_ANNOTATION} is not an instance record` };
  const record = parsed.data;
  const want = instanceLabels(record);
  const off = Object.keys(want).filter((k) => labels[k] !== want[k]);
  if (off.length) return { ok: false, instance, reason: `the labels ${off.join(', ')} disagree with the record of ${record.id}` };
  return { ok: true, record };
}
