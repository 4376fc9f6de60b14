import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './compiledServer';
import { PASSWORD } from './http';

/**
 * Debian's chromium driven by playwright-core (never a browser download): launching, fresh contexts, watching
 * a page for errors, and screenshots kept under test-artifacts/browser/.
 */

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** How long a user-visible condition may take before the step fails. */
export const UI_TIMEOUT_MS = 10_000;
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'browser');

/**
 * Whether the browser suites can run. Missing chromium fails the run under REQUIRE_REAL_BACKENDS=1 (CI installs
 * it); elsewhere the suite is skipped with one line saying why.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.REQUIRE_REAL_BACKENDS === '1') {
    throw new Error(`REQUIRE_REAL_BACKENDS=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
  }
  process.stderr.write(`\n[tests] ${CHROMIUM} not found: the browser suites are skipped (apt-get install chromium)\n`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  // Each launch gets its own temporary profile, removed on close.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export async function freshContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, ...options });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  return context;
}

/** What went wrong on a page that a user would not see but that still is a bug: script errors, CSP refusals. */
export interface PageProblems {
  errors: string[];
}

export function watch(page: Page): PageProblems {
  const problems: PageProblems = { errors: [] };
  page.on('pageerror', (error) => problems.errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    // A socket dropped on purpose (reload, server stop) logs a failed request; anything else is a real error.
    if (message.type() === 'error' && !/net::ERR_(ABORTED|CONNECTION_REFUSED)|WebSocket is closed before/.test(text)) problems.errors.push(`console: ${text} (${message.location().url})`);
    if (/Content Security Policy/i.test(text)) problems.errors.push(`CSP: ${text}`);
  });
  return problems;
}

/** Screenshots of each step, numbered in order, under test-artifacts/browser/<journey>/. */
export function screenshots(journey: string): (page: Page, step: string) => Promise<void> {
  const dir = path.join(ARTIFACTS, journey);
  let n = 0;
  return async (page, step) => {
    // The first shot replaces what an earlier run left.
    if (n === 0) await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    n += 1;
    await page.screenshot({ path: path.join(dir, `${String(n).padStart(2, '0')}-${step}.png`), fullPage: true });
  };
}

/** Waits until the locator shows exactly this text (or matches the pattern); fails with what it showed instead. */
export async function expectText(locator: Locator, expected: string | RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = (await locator.count()) > 0 ? ((await locator.first().textContent()) ?? '').trim() : null;
    if (last !== null && (typeof expected === 'string' ? last === expected : expected.test(last))) return;
    if (Date.now() > deadline) throw new Error(`expected ${String(expected)}, the page showed ${last === null ? 'nothing' : JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The session id the widget keeps in the page's localStorage (the node typecheck has no DOM, hence the string). */
export async function widgetSessionId(page: Page, serverUrl: string): Promise<string> {
  const saved = await page.evaluate<string | null>(`localStorage.getItem(${JSON.stringify(`livechat:${serverUrl}`)})`);
  return (JSON.parse(saved ?? '{}') as { sessionId?: string }).sessionId ?? '';
}

/** Logs an operator into the console (the operator seeds' password), then sets their status when one is given. */
export async function logInToConsole(page: Page, serverUrl: string, email: string, status?: 'online' | 'busy' | 'offline'): Promise<void> {
  await page.goto(`${serverUrl}/console`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  if (status) await page.getByLabel('My status').selectOption(status);
  else await page.getByLabel('My status').waitFor();
}
