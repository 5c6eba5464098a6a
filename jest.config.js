const fs = require('node:fs');
const path = require('node:path');
// One Jest run for the whole monorepo. Specs import workspace libs from source (no build needed).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
// ESM-only packages (pnpm layout) that Jest on Node 20 must transform.
const esm = ['@kubernetes\\+client-node', 'openid-client', 'oauth4webapi', 'jose', 'oidc-provider', 'yocto-spinner', 'yoctocolors'];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|m?j)s$': swc },
  transformIgnorePatterns: [`/node_modules/\\.pnpm/(?!(${esm.join('|')})@)`],
  moduleNameMapper: { '^@wharf/([a-z-]+)$': '<rootDir>/libs/$1/src', '^@wharf/([a-z-]+)/([a-z-]+)$': '<rootDir>/libs/$1/src/$2' },
  roots: ['apps', 'libs', 'bench', 'examples', 'deploy'].filter((d) => fs.existsSync(path.join(__dirname, d))).map((d) => `<rootDir>/${d}`),
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  // the web UI (apps/web) is tested with Vitest (`pnpm test:web`)
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/apps/web/'],
};
/**
 * `npm test` runs unit and integration specs on two workers, the end-to-end specs (each file its
 * own platform) on two, then these and the resilience specs one file at a time, alone on the
 * machine (package.json `test:all`).
 */
const SERIAL = ['limits.int.spec.ts'];
module.exports = {
  // Integration and e2e specs start real servers; a per-project testTimeout is not honoured by Jest.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/src/**/*.spec.ts', '**/deploy/**/*.spec.ts', '!**/*.int.spec.ts', '!**/*.e2e.spec.ts', '!**/*.resilience.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int.spec.ts', ...SERIAL.map((f) => `!**/${f}`)],
    },
    {
      // integration specs that judge exact outcomes of many requests at once: alone on the machine
      ...common,
      displayName: 'integration-serial',
      testMatch: SERIAL.map((f) => `**/${f}`),
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['**/*.e2e.spec.ts'],
    },
    {
      // the whole platform as `pnpm start` runs it, through restarts and outages (`pnpm test:resilience`)
      ...common,
      displayName: 'resilience',
      testMatch: ['**/*.resilience.spec.ts'],
    },
  ],
};
