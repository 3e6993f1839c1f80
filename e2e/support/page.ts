import { expect, test, type Locator, type Page } from '@playwright/test';
import { startAgent, type RunningAgent } from './agent.ts';

/** The shared agent's page address (with its token), set by global-setup.ts. */
export function agentUrl(params: Record<string, string> = {}): string {
  const base = process.env['SOCKETSCOPE_E2E_URL'];
  if (!base) throw new Error('SOCKETSCOPE_E2E_URL is not set: run through playwright.config.ts (global setup)');
  const u = new URL(base);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Opens the live session with the playground (the page itself opens on the lesson list). */
export async function openLive(page: Page, url: string): Promise<void> {
  const u = new URL(url);
  if (!u.searchParams.has('lesson') && !u.searchParams.has('view')) u.searchParams.set('view', 'playground');
  await page.goto(u.toString());
  await expect(page.getByTestId('conn-status')).toHaveAttribute('data-status', 'live');
}

/** The card of the socket with this role whose text mentions this port. */
export function card(page: Page, role: 'listener' | 'client' | 'accepted' | 'udp', port: number): Locator {
  return page.locator(`article[data-role="${role}"]`).filter({ hasText: `:${port}` });
}

/**
 * A fresh agent for the tests of one file, so their cards and screenshots start from an empty session.
 * Returns a getter for its page address.
 */
export function ownAgent(): (params?: Record<string, string>) => string {
  let agent: RunningAgent | null = null;
  test.beforeAll(async () => { agent = await startAgent(); });
  test.afterAll(async () => { await agent?.stop(); });
  return (params = {}) => {
    if (!agent) throw new Error('the agent for this file did not start');
    const u = new URL(agent.url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  };
}

/**
 * Collects what would show in the browser console as an error: uncaught exceptions, React errors and
 * Content-Security-Policy violations (the agent serves the page under a strict CSP).
 */
export function consoleProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console.${m.type()}: ${m.text()}`);
  });
  return problems;
}
