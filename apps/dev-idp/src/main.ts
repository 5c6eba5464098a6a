import path from 'node:path';
import { loadOrExit, loadPlatformConfigWithoutSecret } from '@wharf/config';
import { loadDevIdpConfig } from './dev-idp.config';
import { startDevIdp } from './dev-idp';

/** `node apps/dev-idp/dist/main.js`: the development OpenID provider (`pnpm start` runs it on port 8090). */
async function main(): Promise<void> {
  const config = loadOrExit('dev-idp', () => loadDevIdpConfig());
  const platform = loadOrExit('dev-idp', () => loadPlatformConfigWithoutSecret());
  const keysFile = config.KeysFile ?? path.resolve(platform.DataDir, 'dev-idp', 'signing-key.json');
  const passwordsFile = config.PasswordsFile ?? path.resolve(platform.DataDir, 'dev-idp', 'passwords.json');
  const idp = await startDevIdp({ ...config, KeysFile: keysFile, PasswordsFile: passwordsFile });
  const users = idp.users.map((u) => `${u.Username} (${u.Roles.join(', ') || 'no roles'})`).join(', ');
  console.log(`OpenID provider: ${idp.issuer}`);
  console.log(`dev-idp users: ${users}${config.Users ? '' : `; their generated passwords are in ${passwordsFile}`}`);
  const stop = () => void idp.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error('dev-idp failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
