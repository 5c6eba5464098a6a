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
const esm = ['@kubernetes\\+client-node', 'openid-client', 'oauth4webapi', 'jose', 'oidc-provider'];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|m?j)s$': swc },
  transformIgnorePatterns: [`/node_modules/\\.pnpm/(?!(${esm.join('|')})@)`],
  moduleNameMapper: { '^@wharf/([a-z-]+)$': '<rootDir>/libs/$1/src' },
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/bench', '<rootDir>/examples'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/src/**/*.spec.ts', '!**/*.int.spec.ts', '!**/*.e2e.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int.spec.ts'],
      testTimeout: 60000,
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['**/*.e2e.spec.ts'],
      testTimeout: 180000,
    },
  ],
};
