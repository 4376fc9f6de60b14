/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run typecheck`'s job; the tests only need the code transpiled.
    '^.+\\.ts$': 'ts-jest',
  },
  globalSetup: '<rootDir>/tests/globalSetup.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
