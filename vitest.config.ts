import { defineConfig } from 'vitest/config';

// Slow scientific checks (*.slow.test.ts) run with `npm run test:slow`, not in the default suite;
// each has a shorter twin in the default suite.
const slow = process.env.GROWLAB_SLOW === '1';

export default defineConfig({
  test: {
    include: slow ? ['src/**/*.slow.test.ts'] : ['src/**/*.test.ts'],
    exclude: slow ? ['node_modules/**'] : ['node_modules/**', 'src/**/*.slow.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
