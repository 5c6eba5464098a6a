import { createHash } from 'node:crypto';
import { ApiException, CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import { conflict, internal, invalid, SecretNameSchema, unavailable, WharfError, type SecretGrants } from '@wharf/contracts';
import { z } from 'zod';
import { LABELS, labelValue, MANAGED_BY } from '../drivers/kubernetes/instance-metadata';
import { statusBody } from '../drivers/kubernetes/kube-api';
import { byName, keptGrants, resolveSecretRefs, secretSummary, type StoredSecret } from './secret-access';
import type { SecretGrantee, SecretRef, SecretStore, SecretSummary } from './secret.store';

/**
 * How a Wharf secret is kept on the cluster, one Kubernetes Secret each in the instances'
 * namespace, which instance pods read through `secretKeyRef` and operators see with
 *
 *   kubectl get secret -l app.kubernetes.io/managed-by=wharf,wharf.dev/secret
 *   kubectl get secret -l wharf.dev/secret=<name>
 *
 * - name `wharf-secret-<name>` (see secretObjectName), type `Opaque`, the values in `data`;
 * - labels `app.kubernetes.io/managed-by=wharf` and `wharf.dev/secret=<name as a label value>`;
 * - annotations: the Wharf name, the grants (JSON `{apps, owners}`) and when it was last put.
 *
 * A Secret so labelled whose annotations cannot be read is left out of lists (and logged once) and
 * resolves as missing; a put of its name repairs it.
 */
export const SECRET_LABEL = 'wharf.dev/secret';
export const SECRET_NAME_ANNOTATION = 'wharf.dev/secret-name';
export const SECRET_GRANTS_ANNOTATION = 'wharf.dev/secret-grants';
export const SECRET_UPDATED_AT_ANNOTATION = 'wharf.dev/updated-at';

/** `app.kubernetes.io/managed-by=wharf,wharf.dev/secret`: every Wharf secret (and no instance object). */
export const SECRETS_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${SECRET_LABEL}`;

const PREFIX = 'wharf-secret-';
/** A Kubernetes object name (DNS-1123 subdomain) has at most 253 characters. */
const MAX_OBJECT_NAME = 253;
const HASH_LENGTH = 16;
const PAGE_SIZE = 100;
const PUT_ATTEMPTS = 8;

/**
 * The Kubernetes Secret of the Wharf secret `name`: `wharf-secret-<name>`, a valid object name for
 * every valid Wharf name (a DNS subdomain, `SecretNameSchema`) up to 239 characters. Longer names
 * (up to 253) would overflow the 253 characters of an object name, so they become the first 222 or
 * 223 characters of the name, a dash (two when the cut falls on a dot, which may not be followed
 * by a dash) and 16 hex of the SHA-256 of the whole name: exactly 253 characters, so never the
 * name of a shorter secret (those are at most 252), and deterministic. The annotation
 * `wharf.dev/secret-name` keeps the whole name and is checked on every read, so even a hash
 * collision could not mix two secrets up.
 */
export function secretObjectName(name: string): string {
  const direct = `${PREFIX}${name}`;
  if (direct.length < MAX_OBJECT_NAME) return direct;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, HASH_LENGTH);
  const head = name.slice(0, MAX_OBJECT_NAME - PREFIX.length - 1 - HASH_LENGTH);
  return head.endsWith('.') ? `${PREFIX}${head.slice(0, -1)}--${hash}` : `${PREFIX}${head}-${hash}`;
}

/** What a pod reads for `ref` (`env[].valueFrom.secretKeyRef`): the Secret's object name and the key. */
export function secretKeyRef(ref: SecretRef): { name: string; key: string } {
  return { name: secretObjectName(ref.secret), key: ref.key };
}

const GrantsAnnotationSchema = z.object({ apps: z.array(z.string()), owners: z.array(z.string()) });

type Reading =
  /** A Wharf secret, readable. */
  | { ok: true; name: string; secret: StoredSecret }
  /** Not labelled as Wharf's: a Secret of someone else that happens to have the name. */
  | { ok: false; foreign: true; reason: string }
  /** Labelled as Wharf's, but its annotations cannot be read. */
  | { ok: false; foreign: false; reason: string; claims: string | undefined };

/** A Wharf secret from its Kubernetes Secret; the object's name must be the one of the name it carries. */
function readSecret(o: V1Secret): Reading {
  const labels = o.metadata?.labels ?? {};
  const annotations = o.metadata?.annotations ?? {};
  if (labels[LABELS.managedBy] !== MANAGED_BY) return { ok: false, foreign: true, reason: `it is not labelled ${LABELS.managedBy}=${MANAGED_BY}` };
  const name = annotations[SECRET_NAME_ANNOTATION];
  const damaged = (reason: string): Reading => ({ ok: false, foreign: false, reason, claims: name });
  if (name === undefined) return damaged(`the annotation ${SECRET_NAME_ANNOTATION} is missing`);
  if (!SecretNameSchema.safeParse(name).success) return damaged(`the annotation ${SECRET_NAME_ANNOTATION} is not a secret name`);
  if (secretObjectName(name) !== o.metadata?.name) return damaged(`the annotation ${SECRET_NAME_ANNOTATION} (${name}) is not the secret of this object name`);
  let grants: SecretGrants;
  try {
    const parsed = GrantsAnnotationSchema.safeParse(JSON.parse(annotations[SECRET_GRANTS_ANNOTATION] ?? ''));
    if (!parsed.success) return damaged(`the annotation ${SECRET_GRANTS_ANNOTATION} is not {"apps": [...], "owners": [...]}`);
    grants = parsed.data;
  } catch {
    return damaged(`the annotation ${SECRET_GRANTS_ANNOTATION} is missing or not JSON`);
  }
  const updatedAt = annotations[SECRET_UPDATED_AT_ANNOTATION];
  if (!updatedAt) return damaged(`the annotation ${SECRET_UPDATED_AT_ANNOTATION} is missing`);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
  return { ok: true, name, secret: { data, grants, updatedAt } };
}

/** The Kubernetes Secret of a Wharf secret. */
function secretObject(name: string, s: StoredSecret, resourceVersion?: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretObjectName(name),
      ...(resourceVersion ? { resourceVersion } : {}),
      labels: { [LABELS.managedBy]: MANAGED_BY, [SECRET_LABEL]: labelValue(name) },
      annotations: {
        [SECRET_NAME_ANNOTATION]: name,
        [SECRET_GRANTS_ANNOTATION]: JSON.stringify({ apps: s.grants.apps, owners: s.grants.owners }),
        [SECRET_UPDATED_AT_ANNOTATION]: s.updatedAt,
      },
    },
    data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}

/** A failure to connect (refused, no route, DNS, TLS, timeout) rather than an answer: what fetch reports, with a system error code. */
function connectionFailure(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return null;
  const { name, type, code, cause } = e as { name?: unknown; type?: unknown; code?: unknown; cause?: unknown };
  if (name === 'FetchError' || name === 'AbortError' || type === 'system' || type === 'request-timeout') {
    if (typeof code === 'string') return code;
    if (typeof type === 'string' && type !== 'system') return type;
    return name === 'AbortError' ? 'aborted' : 'no answer';
  }
  if (cause !== undefined && cause !== e) return connectionFailure(cause);
  return null;
}

const isApiError = (e: unknown, code: number): boolean => e instanceof ApiException && e.code === code;

/**
 * Kubernetes driver: each Wharf secret is a Kubernetes Secret in `namespace` (see secretObjectName
 * and SECRETS_SELECTOR), so instance pods read it with `secretKeyRef` and replicas share it. Puts
 * replace with the resourceVersion they read (a concurrent put makes them read again), so no
 * replica loses another's write, grants included.
 */
export class KubeSecretStore implements SecretStore {
  private readonly log = new Logger('Secrets');
  private readonly api: CoreV1Api;
  private readonly server: string;
  /** Damaged Secrets already logged (uid and resourceVersion: logged again once changed). */
  private readonly warned = new Set<string>();

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.server = kc.getCurrentCluster()?.server ?? '(no cluster in the kubeconfig)';
  }

  async put(name: string, data: Record<string, string>, grants?: SecretGrants): Promise<SecretSummary> {
    this.checkName(name);
    const objectName = secretObjectName(name);
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      const current = await this.read(objectName, `read the Secret ${objectName}`);
      let previous: SecretGrants | undefined;
      if (current) {
        const r = readSecret(current);
        if (!r.ok && r.foreign) {
          throw conflict(
            `the secret ${name} cannot be stored: the Kubernetes Secret ${objectName} in namespace ${this.namespace} exists and is not Wharf's (${r.reason}); an operator must remove or rename it`,
          );
        }
        if (!r.ok && r.claims !== undefined && r.claims !== name && secretObjectName(r.claims) === objectName) {
          throw conflict(`the secret ${name} cannot be stored: the Kubernetes Secret ${objectName} holds the secret ${r.claims}`);
        }
        if (r.ok) previous = r.secret.grants;
        else if (!grants) this.warn(current, `${r.reason}; put without grants: granted to nobody now`);
      }
      const s: StoredSecret = { data, grants: keptGrants(grants, previous), updatedAt: new Date().toISOString() };
      try {
        if (current) {
          await this.api.replaceNamespacedSecret({ name: objectName, namespace: this.namespace, body: secretObject(name, s, current.metadata?.resourceVersion) });
        } else {
          await this.api.createNamespacedSecret({ namespace: this.namespace, body: secretObject(name, s) });
        }
        return secretSummary(name, s);
      } catch (e) {
        // Conflict (changed since read) or AlreadyExists (created since read): read again.
        if (!isApiError(e, 409)) throw this.fail(e, `${current ? 'replace' : 'create'} the Secret ${objectName}`);
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
    throw conflict(`the secret ${name} was changed by others ${PUT_ATTEMPTS} times while this put was writing it; try again`);
  }

  async list(): Promise<SecretSummary[]> {
    const out: SecretSummary[] = [];
    let cont: string | undefined;
    let restarts = 0;
    for (;;) {
      let page;
      try {
        page = await this.api.listNamespacedSecret({ namespace: this.namespace, labelSelector: SECRETS_SELECTOR, limit: PAGE_SIZE, _continue: cont });
      } catch (e) {
        // 410 Gone: the continue token expired (the list took too long); list again from the start.
        if (cont !== undefined && isApiError(e, 410) && restarts++ < 3) {
          out.length = 0;
          cont = undefined;
          continue;
        }
        throw this.fail(e, `list the Secrets ${SECRETS_SELECTOR}`);
      }
      for (const o of page.items) {
        const r = readSecret(o);
        if (r.ok) out.push(secretSummary(r.name, r.secret));
        else this.warn(o, r.reason);
      }
      cont = page.metadata?._continue || undefined;
      if (cont === undefined) return out.sort(byName);
    }
  }

  async delete(name: string): Promise<boolean> {
    this.checkName(name);
    const objectName = secretObjectName(name);
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      const current = await this.read(objectName, `read the Secret ${objectName}`);
      if (!current) return false;
      const r = readSecret(current);
      // A damaged one that claims no other name is this one's (there is no other way to remove it but kubectl).
      if (!(r.ok ? r.name === name : !r.foreign && (r.claims === undefined || r.claims === name))) return false;
      try {
        await this.api.deleteNamespacedSecret({ name: objectName, namespace: this.namespace, body: { preconditions: { uid: current.metadata?.uid } } });
        return true;
      } catch (e) {
        if (isApiError(e, 404)) return false;
        if (!isApiError(e, 409)) throw this.fail(e, `delete the Secret ${objectName}`);
      }
    }
    throw conflict(`the secret ${name} was changed by others ${PUT_ATTEMPTS} times while this delete was removing it; try again`);
  }

  async resolve(refs: SecretRef[], grantee: SecretGrantee): Promise<Record<string, string>> {
    return resolveSecretRefs(refs, grantee, async (names) => {
      const found = new Map(await Promise.all(names.map(async (n) => [n, await this.find(n)] as const)));
      return (n) => found.get(n);
    });
  }

  /** The readable Wharf secret `name`, or undefined (also for a name that is not one: it cannot exist). */
  private async find(name: string): Promise<StoredSecret | undefined> {
    if (!SecretNameSchema.safeParse(name).success) return undefined;
    const o = await this.read(secretObjectName(name), `read the Secret ${secretObjectName(name)}`);
    if (!o) return undefined;
    const r = readSecret(o);
    if (r.ok && r.name === name) return r.secret;
    if (!r.ok && !r.foreign) this.warn(o, r.reason);
    return undefined;
  }

  /** The Secret, or undefined when there is none. */
  private async read(objectName: string, doing: string): Promise<V1Secret | undefined> {
    try {
      return await this.api.readNamespacedSecret({ name: objectName, namespace: this.namespace });
    } catch (e) {
      if (isApiError(e, 404) && !this.namespaceMissing(e)) return undefined;
      throw this.fail(e, doing);
    }
  }

  /** A 404 about the namespace rather than the Secret (the real API server answers the latter for a read; be safe with both). */
  private namespaceMissing(e: unknown): boolean {
    return /^namespaces "[^"]*" not found/.test(statusBody(e).message);
  }

  private checkName(name: string): void {
    if (!SecretNameSchema.safeParse(name).success) throw invalid(`${JSON.stringify(name)} is not a secret name: it must be a DNS subdomain (lower-case letters, digits, dashes and dots)`);
  }

  private warn(o: V1Secret, reason: string): void {
    const key = `${o.metadata?.uid ?? o.metadata?.name}@${o.metadata?.resourceVersion ?? ''}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(`Secret ${o.metadata?.name ?? '?'} in namespace ${this.namespace} is labelled as Wharf's but is not a readable Wharf secret (${reason}); it is ignored (a put of its name replaces it)`);
  }

  /** A Wharf error for a failed request: what Kubernetes said or that it could not be reached, and where; never the HTTP internals. */
  private fail(e: unknown, doing: string): WharfError {
    if (e instanceof WharfError) return e;
    const inNs = `${doing} in namespace ${this.namespace}`;
    if (e instanceof ApiException) {
      const st = statusBody(e);
      const said = st.message ? `: ${st.message}` : '';
      switch (e.code) {
        case 401:
          return unavailable(`the Kubernetes API at ${this.server} did not accept the scheduler's credentials (401 Unauthorized) when it tried to ${inNs}; check the scheduler's kubeconfig or service account token`);
        case 403:
          return unavailable(
            `the Kubernetes API at ${this.server} does not allow the scheduler to ${inNs}${said}; its service account needs get, list, create, update and delete on secrets there`,
          );
        case 404:
          return unavailable(`the Kubernetes API at ${this.server} could not ${inNs}${said}; does the namespace ${this.namespace} exist?`);
        case 400:
        case 413:
        case 422:
          return invalid(`Kubernetes refused to ${inNs}${said}`);
        case 409:
          return conflict(`Kubernetes refused to ${inNs}${said}`);
        default:
          return unavailable(`the Kubernetes API at ${this.server} failed to ${inNs} (${e.code}${st.reason ? ` ${st.reason}` : ''})${said}`);
      }
    }
    const how = connectionFailure(e);
    if (how !== null) return unavailable(`the Kubernetes API could not be reached at ${this.server} (${how}) to ${inNs}`);
    this.log.error(`could not ${inNs} at ${this.server}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return internal(`could not ${inNs} on the Kubernetes API at ${this.server} (see the scheduler log)`);
  }
}
