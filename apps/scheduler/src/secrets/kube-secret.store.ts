import { createHash } from 'node:crypto';
import { ApiException, CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import {
  conflict,
  internal,
  invalid,
  parseSecretRefName,
  SecretNameSchema,
  SELF_SECRET_OWNER,
  unavailable,
  USER_SECRET_VISIBILITIES,
  UserSecretNameSchema,
  WharfError,
  type SecretGrants,
  type UserSecret,
} from '@wharf/contracts';
import { z } from 'zod';
import { LABELS, labelValue, MANAGED_BY } from '../drivers/kubernetes/instance-metadata';
import { statusBody } from '../drivers/kubernetes/kube-api';
import {
  byName,
  byOwnerAndName,
  keptGrants,
  nextUserSecret,
  resolveSecretRefs,
  secretSummary,
  userSecretSummary,
  type StoredSecret,
  type StoredUserSecret,
} from './secret-access';
import type { SecretGrantee, SecretRef, SecretStore, SecretSummary, UserSecretPut, UserSecretStore } from './secret.store';

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

/**
 * How a user secret is kept: one Kubernetes Secret each, next to the platform secrets, which
 * operators see with
 *
 *   kubectl get secret -l app.kubernetes.io/managed-by=wharf,wharf.dev/user-secret
 *   kubectl get secret -l wharf.dev/secret-owner=<owner hash>
 *
 * - name `wharf-usecret-<16 hex of the SHA-256 of the owner id>-<name>` (see userSecretObjectName):
 *   never a platform secret's (`wharf-secret-…`) nor an instance's (`wharf-<id>`, 16 characters);
 * - labels `app.kubernetes.io/managed-by=wharf`, `wharf.dev/user-secret=<name as a label value>`
 *   and `wharf.dev/secret-owner=<owner hash>`;
 * - annotations: the owner id and display name, the name, the visibility, the apps (JSON) and
 *   when it was last put; owner and name are checked against the object name on every read.
 */
export const USER_SECRET_LABEL = 'wharf.dev/user-secret';
export const USER_SECRET_OWNER_LABEL = 'wharf.dev/secret-owner';
export const USER_SECRET_OWNER_ANNOTATION = 'wharf.dev/secret-owner';
export const USER_SECRET_OWNER_NAME_ANNOTATION = 'wharf.dev/secret-owner-name';
export const USER_SECRET_VISIBILITY_ANNOTATION = 'wharf.dev/secret-visibility';
export const USER_SECRET_APPS_ANNOTATION = 'wharf.dev/secret-apps';
/** `app.kubernetes.io/managed-by=wharf,wharf.dev/user-secret`: every user secret. */
export const USER_SECRETS_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY},${USER_SECRET_LABEL}`;

const ownerHash = (owner: string): string => createHash('sha256').update(owner).digest('hex').slice(0, HASH_LENGTH);

/** The Kubernetes Secret of the user secret `name` of `owner` (at most 14 + 16 + 1 + 63 = 94 characters). */
export function userSecretObjectName(owner: string, name: string): string {
  return `wharf-usecret-${ownerHash(owner)}-${name}`;
}

/**
 * What a pod reads for `ref` (`env[].valueFrom.secretKeyRef`): the Secret's object name and the
 * key, for a platform secret's name or a user secret's `<owner id>/<name>` (made so from `~/<name>`
 * by canonicalSecretRef before it gets here).
 */
export function secretKeyRef(ref: { secret: string; key: string }): { name: string; key: string } {
  const n = parseSecretRefName(ref.secret);
  if (n.kind === 'platform') return { name: secretObjectName(n.name), key: ref.key };
  if (n.owner === SELF_SECRET_OWNER) throw new Error(`secretKeyRef: ${ref.secret} must be made <owner>/<name> first (canonicalSecretRef)`);
  return { name: userSecretObjectName(n.owner, n.name), key: ref.key };
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

type UserReading =
  | { ok: true; owner: string; name: string; secret: StoredUserSecret }
  | { ok: false; foreign: true; reason: string }
  | { ok: false; foreign: false; reason: string; claims: { owner: string | undefined; name: string | undefined } };

const AppsAnnotationSchema = z.array(z.string());

/** A user secret from its Kubernetes Secret; the object's name must be the one of the owner and name it carries. */
function readUserSecret(o: V1Secret): UserReading {
  const labels = o.metadata?.labels ?? {};
  const a = o.metadata?.annotations ?? {};
  if (labels[LABELS.managedBy] !== MANAGED_BY) return { ok: false, foreign: true, reason: `it is not labelled ${LABELS.managedBy}=${MANAGED_BY}` };
  const owner = a[USER_SECRET_OWNER_ANNOTATION];
  const name = a[SECRET_NAME_ANNOTATION];
  const damaged = (reason: string): UserReading => ({ ok: false, foreign: false, reason, claims: { owner, name } });
  if (!owner) return damaged(`the annotation ${USER_SECRET_OWNER_ANNOTATION} is missing`);
  if (name === undefined || !UserSecretNameSchema.safeParse(name).success) return damaged(`the annotation ${SECRET_NAME_ANNOTATION} is missing or not a secret name`);
  if (userSecretObjectName(owner, name) !== o.metadata?.name) return damaged(`the annotations ${USER_SECRET_OWNER_ANNOTATION} and ${SECRET_NAME_ANNOTATION} are not those of this object name`);
  const visibility = a[USER_SECRET_VISIBILITY_ANNOTATION];
  if (!(USER_SECRET_VISIBILITIES as readonly string[]).includes(visibility ?? '')) return damaged(`the annotation ${USER_SECRET_VISIBILITY_ANNOTATION} is not one of ${USER_SECRET_VISIBILITIES.join(', ')}`);
  let apps: string[];
  try {
    const parsed = AppsAnnotationSchema.safeParse(JSON.parse(a[USER_SECRET_APPS_ANNOTATION] ?? ''));
    if (!parsed.success) return damaged(`the annotation ${USER_SECRET_APPS_ANNOTATION} is not a JSON array of app names`);
    apps = parsed.data;
  } catch {
    return damaged(`the annotation ${USER_SECRET_APPS_ANNOTATION} is missing or not JSON`);
  }
  const updatedAt = a[SECRET_UPDATED_AT_ANNOTATION];
  if (!updatedAt) return damaged(`the annotation ${SECRET_UPDATED_AT_ANNOTATION} is missing`);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
  return {
    ok: true,
    owner,
    name,
    secret: { ownerName: a[USER_SECRET_OWNER_NAME_ANNOTATION] ?? owner, data, visibility: visibility as StoredUserSecret['visibility'], apps, updatedAt },
  };
}

/** The Kubernetes Secret of a user secret. */
function userSecretObject(owner: string, name: string, s: StoredUserSecret, resourceVersion?: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: userSecretObjectName(owner, name),
      ...(resourceVersion ? { resourceVersion } : {}),
      labels: { [LABELS.managedBy]: MANAGED_BY, [USER_SECRET_LABEL]: labelValue(name), [USER_SECRET_OWNER_LABEL]: ownerHash(owner) },
      annotations: {
        [USER_SECRET_OWNER_ANNOTATION]: owner,
        [USER_SECRET_OWNER_NAME_ANNOTATION]: s.ownerName,
        [SECRET_NAME_ANNOTATION]: name,
        [USER_SECRET_VISIBILITY_ANNOTATION]: s.visibility,
        [USER_SECRET_APPS_ANNOTATION]: JSON.stringify(s.apps),
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
export class KubeSecretStore implements SecretStore, UserSecretStore {
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
    for (const o of await this.listObjects(SECRETS_SELECTOR)) {
      const r = readSecret(o);
      if (r.ok) out.push(secretSummary(r.name, r.secret));
      else this.warn(o, r.reason);
    }
    return out.sort(byName);
  }

  /** Every Secret `selector` selects, page by page (listed again from the start when a continue token expires). */
  private async listObjects(selector: string): Promise<V1Secret[]> {
    const out: V1Secret[] = [];
    let cont: string | undefined;
    let restarts = 0;
    for (;;) {
      let page;
      try {
        page = await this.api.listNamespacedSecret({ namespace: this.namespace, labelSelector: selector, limit: PAGE_SIZE, _continue: cont });
      } catch (e) {
        // 410 Gone: the continue token expired (the list took too long); list again from the start.
        if (cont !== undefined && isApiError(e, 410) && restarts++ < 3) {
          out.length = 0;
          cont = undefined;
          continue;
        }
        throw this.fail(e, `list the Secrets ${selector}`);
      }
      out.push(...page.items);
      cont = page.metadata?._continue || undefined;
      if (cont === undefined) return out;
    }
  }

  async delete(name: string): Promise<boolean> {
    this.checkName(name);
    // A damaged one that claims no other name is this one's (there is no other way to remove it but kubectl).
    return this.deleteIf(secretObjectName(name), name, (current) => {
      const r = readSecret(current);
      return r.ok ? r.name === name : !r.foreign && (r.claims === undefined || r.claims === name);
    });
  }

  async resolve(refs: SecretRef[], grantee: SecretGrantee): Promise<Record<string, string>> {
    return resolveSecretRefs(refs, grantee, async (names) => {
      const [platform, user] = await Promise.all([
        Promise.all(names.platform.map(async (n) => [n, await this.find(n)] as const)),
        Promise.all(names.user.map(async (u) => [JSON.stringify([u.owner, u.name]), await this.findUser(u.owner, u.name)] as const)),
      ]);
      const p = new Map(platform);
      const us = new Map(user);
      return { platform: (n) => p.get(n), user: (owner, name) => us.get(JSON.stringify([owner, name])) };
    });
  }

  async putUser(put: UserSecretPut): Promise<{ created: boolean; secret: UserSecret }> {
    this.checkUserName(put.name);
    const objectName = userSecretObjectName(put.owner.sub, put.name);
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      const current = await this.read(objectName, `read the Secret ${objectName}`);
      let previous: StoredUserSecret | undefined;
      if (current) {
        const r = readUserSecret(current);
        if (!r.ok && r.foreign) {
          throw conflict(
            `the secret ${put.name} cannot be stored: the Kubernetes Secret ${objectName} in namespace ${this.namespace} exists and is not Wharf's (${r.reason}); an operator must remove or rename it`,
          );
        }
        if (!r.ok && ((r.claims.owner !== undefined && r.claims.owner !== put.owner.sub) || (r.claims.name !== undefined && r.claims.name !== put.name))) {
          throw conflict(`the secret ${put.name} cannot be stored: the Kubernetes Secret ${objectName} holds another secret; an operator must look at it (see the scheduler log)`);
        }
        if (r.ok) previous = r.secret;
        else this.warn(current, `${r.reason}; replaced by a put of its owner's secret`);
      }
      const s = nextUserSecret(previous, put);
      try {
        if (current) {
          await this.api.replaceNamespacedSecret({ name: objectName, namespace: this.namespace, body: userSecretObject(put.owner.sub, put.name, s, current.metadata?.resourceVersion) });
        } else {
          await this.api.createNamespacedSecret({ namespace: this.namespace, body: userSecretObject(put.owner.sub, put.name, s) });
        }
        return { created: !previous, secret: userSecretSummary(put.owner.sub, put.name, s) };
      } catch (e) {
        if (!isApiError(e, 409)) throw this.fail(e, `${current ? 'replace' : 'create'} the Secret ${objectName}`);
        await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
    throw conflict(`the secret ${put.name} was changed by others ${PUT_ATTEMPTS} times while this put was writing it; try again`);
  }

  async getUser(owner: string, name: string): Promise<UserSecret | null> {
    const s = await this.findUser(owner, name);
    return s ? userSecretSummary(owner, name, s) : null;
  }

  async listUser(owner: string | null): Promise<UserSecret[]> {
    const selector = owner === null ? USER_SECRETS_SELECTOR : `${USER_SECRETS_SELECTOR},${USER_SECRET_OWNER_LABEL}=${ownerHash(owner)}`;
    const out: UserSecret[] = [];
    for (const o of await this.listObjects(selector)) {
      const r = readUserSecret(o);
      if (!r.ok) this.warn(o, r.reason);
      else if (owner === null || r.owner === owner) out.push(userSecretSummary(r.owner, r.name, r.secret));
    }
    return out.sort(byOwnerAndName);
  }

  async deleteUser(owner: string, name: string): Promise<boolean> {
    if (!UserSecretNameSchema.safeParse(name).success) return false;
    // A damaged one that claims no other owner or name is this one's (there is no other way to remove it but kubectl).
    return this.deleteIf(userSecretObjectName(owner, name), name, (current) => {
      const r = readUserSecret(current);
      return r.ok
        ? r.owner === owner && r.name === name
        : !r.foreign && (r.claims.owner === undefined || r.claims.owner === owner) && (r.claims.name === undefined || r.claims.name === name);
    });
  }

  /**
   * Deletes the Secret `objectName` when `mine` says it is the one meant (false: there is none, or it
   * is another's), on the uid read just before: a Secret replaced in between is read and judged again.
   */
  private async deleteIf(objectName: string, name: string, mine: (current: V1Secret) => boolean): Promise<boolean> {
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      const current = await this.read(objectName, `read the Secret ${objectName}`);
      if (!current || !mine(current)) return false;
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

  /** The readable user secret `name` of `owner`, or undefined. */
  private async findUser(owner: string, name: string): Promise<StoredUserSecret | undefined> {
    if (!owner || !UserSecretNameSchema.safeParse(name).success) return undefined;
    const objectName = userSecretObjectName(owner, name);
    const o = await this.read(objectName, `read the Secret ${objectName}`);
    if (!o) return undefined;
    const r = readUserSecret(o);
    if (r.ok && r.owner === owner && r.name === name) return r.secret;
    if (!r.ok && !r.foreign) this.warn(o, r.reason);
    return undefined;
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

  private checkUserName(name: string): void {
    if (!UserSecretNameSchema.safeParse(name).success) throw invalid(`${JSON.stringify(name)} is not a secret name: it must be a DNS subdomain (lower-case letters, digits, dashes and dots) of at most 63 characters`);
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
