/** Tests run the TypeScript sources directly through SWC; `npm run typecheck` is the type gate. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  // Hooks build whole apps (database, Redis, workers): generous on a loaded 2-core machine; tests set their own.
  testTimeout: 60000,
  // Each test file builds its own app on its own database; two workers suit the 2-core machines.
  maxWorkers: 2,
};
