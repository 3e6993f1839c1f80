import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in a real Chromium against a real agent on loopback.
 * - The system's Debian Chromium is used; Playwright never downloads a browser.
 * - e2e/global-setup.ts builds the page and starts one agent on a free port with a known token;
 *   tests that stop an agent start their own (e2e/support/agent.ts).
 * - Nothing leaves 127.0.0.1: the browser is started without background networking, sync or updates.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  // CI gets one retry: a test that passes only on retry is reported as "flaky" (and counted as such in
  // the closing line of `pnpm test`), so timing trouble on a loaded runner shows without sinking the run
  retries: process.env['CI'] ? 1 : 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS },
    viewport: { width: 1280, height: 720 },
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
