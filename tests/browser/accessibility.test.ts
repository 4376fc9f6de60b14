import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { createSession, sendMessage } from '../helpers/api';
import { browserStage } from '../helpers/browserStage';
import { chromiumAvailable, freshContext, logInToConsole } from '../helpers/browser';
import { connectCustomer } from '../helpers/sockets';

/**
 * axe-core (through @axe-core/playwright) on every page a user reaches: the widget (form and conversation), the
 * console's login, its chats screen with a conversation open, history with a transcript, team admin, settings
 * and the operator's account. No serious or critical violation is allowed; what axe finds is printed by rule.
 */

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact ?? ''}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

describeBrowser('browser: accessibility (axe)', () => {
  const stage = browserStage({ OPERATOR_PRESENCE_GRACE_SECONDS: '3600' });

  it('the widget: its start form and a conversation', async () => {
    const page = await (await freshContext(stage.browser, { viewport: { width: 375, height: 700 } })).newPage();
    await page.goto(`${stage.server.url}/`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    await page.getByLabel('Name', { exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Name', { exact: true }).fill('Axel Access');
    await page.getByRole('button', { name: /Start chat|Leave a message|Send/ }).first().click();
    await page.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  }, 60_000);

  it('the console: login, chats with a conversation open, history with a transcript, team, settings, account', async () => {
    const { url } = stage.server;
    const page = await (await freshContext(stage.browser, { viewport: { width: 1366, height: 768 } })).newPage();
    await page.goto(`${url}/console`);
    await page.getByLabel('Email').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    const customer = await createSession(url, { customerName: 'Ann Able', customerEmail: 'ann@example.com', message: 'Hello there', metadata: { page: 'https://shop.example/' } });
    await connectCustomer(url, customer.customerToken);
    await sendMessage(url, customer.customerToken, customer.session.id, { content: 'Can you help?' });
    await logInToConsole(page, url, stage.admin.email, 'online');
    await page.getByRole('tab', { name: /Ann Able/, selected: true }).waitFor();
    await page.locator('.msg-text', { hasText: 'Can you help?' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    const nav = page.getByRole('navigation', { name: 'Console screens' });
    await nav.getByRole('button', { name: 'History', exact: true }).click();
    await page.getByRole('row', { name: /Ann Able/ }).getByRole('button', { name: 'Ann Able' }).click();
    await page.getByRole('list', { name: 'What happened to this chat' }).getByText('Chat started').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    for (const [screen, ready] of [
      ['Live chats', () => page.getByRole('region', { name: 'Live chats' }).getByRole('row', { name: /Ann Able/ }).waitFor()],
      ['Team', () => page.getByRole('button', { name: 'Add an operator' }).waitFor()],
      ['Settings', () => page.getByRole('button', { name: 'Save settings' }).waitFor()],
      ['My account', () => page.getByRole('button', { name: 'Change password' }).waitFor()],
    ] as const) {
      await nav.getByRole('button', { name: screen, exact: true }).click();
      await ready();
      expect({ screen, violations: await seriousViolations(page) }).toEqual({ screen, violations: [] });
    }
  }, 90_000);
});
