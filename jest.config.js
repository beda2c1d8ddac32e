/** Jest runs the TypeScript tests through ts-jest; end-to-end tests share one Temporal dev server started in globalSetup. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json', diagnostics: { warnOnly: false } }] },
  testTimeout: 120000,
  maxWorkers: 2,
};
