import type { Browser, Page } from 'playwright-core';
import { sqliteBackend } from '../helpers/backends';
import { createAdmin, createOperator, createSession, sendMessage, type Staff } from '../helpers/api';
import { chromiumAvailable, expectText, freshContext, launchBrowser, logInToConsole, screenshots, watch } from '../helpers/browser';
import { call, closeAllSockets, cmid, connectCustomer, connectedOperator, nextEvent, type SessionMsg } from '../helpers/sockets';
import { startTestServer, type TestServer } from '../helpers/testServer';

/** The console beyond one conversation: several tabs with unread counts, history paging, transfer, the admin's team view. */

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('browser: operator console', () => {
  let browser: Browser;
  let server: TestServer;
  let admin: Staff;

  beforeAll(async () => {
    browser = await launchBrowser();
    server = await startTestServer(sqliteBackend, { env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600', RATE_LIMIT_MESSAGES_PER_10_SECONDS: '0' } });
    admin = await createAdmin(server, { name: 'Ada Admin' });
  });
  afterAll(async () => {
    closeAllSockets();
    await browser?.close();
    await server?.close();
  });

  const logIn = (page: Page, email: string): Promise<void> => logInToConsole(page, server.url, email);

  it('tabs with unread counts, older messages on demand, transfer to another operator, and the live team view for admins', async () => {
    const { url } = server;
    const shot = screenshots('console');
    const olga = await createOperator(url, admin.token, { name: 'Olga Operator', maxConcurrentSessions: 5 });
    // Anna's long conversation waits in the queue while nobody is online.
    const anna = await createSession(url, { customerName: 'Anna Archive', message: 'message 1' });
    for (let i = 2; i <= 60; i++) await sendMessage(url, anna.customerToken, anna.session.id, { content: `message ${i}` });

    const page = await (await freshContext(browser)).newPage();
    const problems = watch(page);
    await logIn(page, olga.email);
    await page.getByLabel('My status').selectOption('online');

    // Anna's chat comes in and opens: the latest page of messages, older ones on demand.
    await page.getByRole('tab', { name: /Anna Archive/, selected: true }).waitFor();
    await expectText(page.locator('.msg-other .msg-text').last(), 'message 60');
    await page.getByRole('button', { name: 'Load older messages' }).waitFor();
    expect(await page.locator('.msg-text', { hasText: /^message 1$/ }).count()).toBe(0);
    await page.getByRole('button', { name: 'Load older messages' }).click();
    await expectText(page.locator('.msg-other .msg-text').first(), 'message 1');
    await page.getByRole('button', { name: 'Load older messages' }).waitFor({ state: 'hidden' });
    expect(await page.locator('.msg-other .msg-text').count()).toBe(60);

    // Ben's chat arrives while Anna's is open: a second tab, whose unread count grows with each of his messages.
    const ben = await createSession(url, { customerName: 'Ben Second' });
    const benSocket = await connectCustomer(url, ben.customerToken);
    await page.getByRole('tab', { name: /Ben Second/, selected: false }).waitFor();
    await expectText(page.locator('.toast'), 'New chat from Ben Second');
    await call(benSocket, 'message:send', { content: 'hello?', clientMessageId: cmid() });
    await call(benSocket, 'message:send', { content: 'anyone there?', clientMessageId: cmid() });
    await expectText(page.getByRole('tab', { name: /Ben Second/ }).locator('.badge'), '2 unread');
    await shot(page, 'two-tabs-unread');

    // Opening Ben's tab clears the count, and Ben is told his messages were read.
    await page.getByRole('tab', { name: /Ben Second/ }).click();
    await expectText(page.locator('#conversation-title'), 'Ben Second');
    await page.getByRole('tab', { name: /Ben Second/ }).locator('.badge').waitFor({ state: 'detached' });
    await nextEvent(benSocket, 'messages:read');

    // Another operator comes online; Olga transfers Ben to him.
    const otto = await connectedOperator(url, admin.token, { name: 'Otto Other', status: 'online', maxConcurrentSessions: 5 });
    await page.locator(`select[name="transfer-target"] option[value="op:${otto.id}"]`).waitFor({ state: 'attached' });
    await page.getByLabel('Transfer to').selectOption(`op:${otto.id}`);
    await page.getByRole('button', { name: 'Transfer', exact: true }).click();
    await expectText(page.locator('.toast'), "Ben Second's chat was transferred to Otto Other.");
    await page.getByRole('tab', { name: /Ben Second/ }).waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: /Anna Archive/, selected: true }).waitFor();
    expect((await nextEvent<SessionMsg>(otto.socket, 'session:assigned', undefined, (p) => p.session.id === ben.session.id)).session.operatorId).toBe(otto.id);
    await shot(page, 'after-transfer');

    // The admin's console: every operator with status and load, the stats, and status changes as they happen.
    const adminPage = await (await freshContext(browser)).newPage();
    const adminProblems = watch(adminPage);
    await logIn(adminPage, admin.email);
    await adminPage.getByRole('navigation', { name: 'Console screens' }).getByRole('button', { name: 'Team' }).click();
    const row = (name: string) => adminPage.getByRole('row', { name: new RegExp(name) });
    // Columns: role, status, load.
    await expectText(row('Olga Operator').locator('td').nth(1), 'online');
    await expectText(row('Olga Operator').locator('td').nth(2), '1/5');
    await expectText(row('Otto Other').locator('td').nth(2), '1/5');
    await expectText(adminPage.locator('.overall dd').nth(1), '2');
    await shot(adminPage, 'team');
    await call(otto.socket, 'status:set', { status: 'busy' });
    await expectText(row('Otto Other').locator('td').nth(1), 'busy');
    await shot(adminPage, 'team-live-status');
    expect([...problems.errors, ...adminProblems.errors]).toEqual([]);
  }, 120_000);
});
