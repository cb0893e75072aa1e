import { defineConfig } from '@playwright/test';

// Debian's chromium: Playwright's own browser download cannot work on this network.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Several checkouts (or helpers) can test side by side with their own build and port.
const port = Number(process.env.GROWLAB_E2E_PORT ?? 4173);
const dist = process.env.GROWLAB_DIST ?? 'dist';
const baseArgs = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export default defineConfig({
  testDir: 'e2e',
  timeout: 300_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list'], ['html', { open: 'never', outputFolder: `playwright-report${port === 4173 ? '' : `-${port}`}` }]],
  outputDir: port === 4173 ? 'test-results' : `test-results-${port}`,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /no-webgpu/,
      use: { launchOptions: { executablePath, args: [...baseArgs, '--enable-unsafe-webgpu'] } },
    },
    {
      name: 'no-webgpu',
      testMatch: /no-webgpu/,
      use: { launchOptions: { executablePath, args: [...baseArgs, '--disable-webgpu'] } },
    },
  ],
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort --outDir ${dist}`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
