import { WharfError, invalid, type FileSpec } from '@wharf/contracts';
import type { AppFile } from '../drivers/instance-driver';
import { canonicalSecretRef } from '../secrets/secret-access';
import type { SecretGrantee, SecretStore } from '../secrets/secret.store';

/**
 * An app's `[[File]]` entries for one start: literal values as written, secret values read with
 * the secret store's own `resolve` (the same grant checks as `[[Env]]`; nothing starts when one is
 * refused). The refusal says `[[File]] <path>` where the env's says `[[Env]] <name>`, and like it
 * names only what the app itself wrote. Secret names come back as the drivers need them (`~/<name>`
 * as `<instance owner>/<name>`). Values are never logged or stored in the record.
 */
export async function resolveAppFiles(store: SecretStore, files: readonly FileSpec[], grantee: SecretGrantee): Promise<AppFile[]> {
  const refs = files.flatMap((f) => ('secret' in f ? [{ env: f.path, secret: f.secret, key: f.secretKey }] : []));
  let values: Record<string, string>;
  try {
    values = await store.resolve(refs, grantee);
  } catch (e) {
    if (!WharfError.is(e, 'INVALID')) throw e;
    const env = (e.details as { env?: unknown } | undefined)?.env;
    if (!Array.isArray(env)) throw e;
    // The store's one refusal, about files: the same words, naming the files' paths.
    throw invalid(e.message.replace('its [[Env]]', 'its [[File]]'), { file: env });
  }
  return files.map((f) => {
    if (!('secret' in f)) return { path: f.path, value: f.value };
    const ref = canonicalSecretRef({ secret: f.secret, key: f.secretKey }, grantee.instanceOwner);
    return { path: f.path, value: values[f.path]!, secret: { name: ref.secret, key: ref.key } };
  });
}
