import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { sqliteBackend } from '../helpers/backends';
import request from 'supertest';
import { bearer, createAdmin, createOperator, getSession, PASSWORD, type Staff } from '../helpers/api';
import { chromiumAvailable, expectText, freshContext, launchBrowser, logInToConsole, screenshots, watch, widgetSessionId } from '../helpers/browser';
import { call, closeAllSockets, cmid, connectedOperator } from '../helpers/sockets';
import { startTestServer, type TestServer } from '../helpers/testServer';

/** What must never happen (user text running as code) and what must not be a dead end (nobody online). */

const XSS_NAME = '<img src=x onerror="window.__xss=1">Mallory';
const XSS_MESSAGE = '<script>window.__xss=2</script><b>bold?</b>';
const XSS_REPLY = '<img src=x onerror="window.__xss=3">';

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('browser: user text stays text; nobody online', () => {
  let browser: Browser;
  let server: TestServer | undefined;
  let admin: Staff;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const context of browser?.contexts() ?? []) await context.close();
    closeAllSockets();
    await server?.close();
    server = undefined;
  });

  async function boot(env: Record<string, string> = {}): Promise<TestServer> {
    server = await startTestServer(sqliteBackend, { env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600', ...env } });
    admin = await createAdmin(server);
    return server;
  }

  it('an XSS payload as name and messages renders as text on both sides, and no script runs', async () => {
    // Manual routing: the chat waits in the queue until the operator takes it (session:join).
    const { url } = await boot({ ASSIGNMENT_STRATEGY: 'manual' });
    const shot = screenshots('xss');
    const olga = await createOperator(url, admin.token, { name: 'Olga Operator' });
    const customer = await (await freshContext(browser)).newPage();
    const operator = await (await freshContext(browser)).newPage();
    const problems = [watch(customer), watch(operator)];

    await operator.goto(`${url}/console`);
    await operator.getByLabel('Email').fill(olga.email);
    await operator.getByLabel('Password').fill(PASSWORD);
    await operator.getByRole('button', { name: 'Log in' }).click();
    await operator.getByLabel('My status').selectOption('online');
    await expectText(operator.locator('#queue-title'), 'Waiting queue (0)');

    await customer.goto(`${url}/`);
    await customer.getByRole('button', { name: 'Chat with us' }).click();
    await customer.getByLabel('Name', { exact: true }).fill(XSS_NAME);
    await customer.getByLabel('Email', { exact: true }).fill('mallory@example.com');
    await customer.getByLabel('How can we help? (optional)').fill(XSS_MESSAGE);
    await customer.getByRole('button', { name: 'Start chat' }).click();
    await expectText(customer.locator('.lc-status'), /^You are number 1 in the queue\./);
    await expectText(customer.locator('.msg-own .msg-text'), XSS_MESSAGE);

    // The queue shows the name as typed; taking it opens a tab and the conversation.
    await expectText(operator.locator('.queue-name'), XSS_NAME);
    await shot(operator, 'queue');
    await operator.getByRole('button', { name: `Take chat with ${XSS_NAME}` }).click();
    await operator.getByRole('tab', { name: /Mallory/ }).waitFor();
    await expectText(operator.locator('#conversation-title'), XSS_NAME);
    await expectText(operator.locator('.msg-other .msg-text'), XSS_MESSAGE);
    await expectText(operator.locator('#queue-title'), 'Waiting queue (0)');
    await expectText(customer.locator('.lc-status'), "You're chatting with Olga Operator.");

    const reply = operator.getByRole('textbox', { name: 'Reply' });
    await reply.fill(XSS_REPLY);
    await reply.press('Enter');
    await expectText(customer.locator('.msg-other .msg-text'), XSS_REPLY);
    await shot(operator, 'operator');
    await shot(customer, 'customer');

    for (const page of [customer, operator]) {
      expect(await page.evaluate<unknown>('window.__xss')).toBeUndefined();
      expect(await page.locator('.messages img, .messages script, .messages b, .queue img, .tabs img').count()).toBe(0);
    }

    // The customer ends the chat; the operator sees it closed.
    await customer.getByRole('button', { name: 'End chat' }).click();
    await expectText(customer.locator('.lc-status'), 'This chat has ended.');
    await expectText(operator.locator('.closed-note p'), 'This chat is closed.');
    expect(problems.flatMap((p) => p.errors)).toEqual([]);
  }, 90_000);

  it('nobody online: the widget, embedded on another site at phone width, takes a message; an operator who comes online answers it there', async () => {
    // Another site: its own origin, one script tag pointing at the chat server.
    let serverUrl = '';
    const site = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Another site</title></head><body><h1>Another site</h1><script src="${serverUrl}/widget.js" async></script></body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    try {
      const { url } = await boot({ CORS_ORIGINS: siteUrl });
      serverUrl = url;
      const shot = screenshots('offline-embedded-phone');
      await createOperator(url, admin.token, { name: 'Olga Operator' });
      const page = await (await freshContext(browser, { viewport: { width: 390, height: 780 }, isMobile: true, hasTouch: true })).newPage();
      const problems = watch(page);

      await page.goto(siteUrl);
      await page.getByRole('button', { name: 'Chat with us' }).click();
      await expectText(page.locator('.lc-form-title'), 'Leave a message');
      await expectText(page.locator('.lc-intro'), "Nobody is online right now. Leave a message and we'll get back to you by email.");
      expect(await page.getByRole('button', { name: 'Start chat' }).count()).toBe(0);
      await fitsWidth(page, '.lc-panel', 390);
      await page.getByLabel('Name', { exact: true }).fill('Lena Later');
      await page.getByLabel('Email', { exact: true }).fill('lena@example.com');
      await page.getByLabel('Message', { exact: true }).fill('Do you ship to Norway?');
      await shot(page, 'leave-message-form');
      await page.getByRole('button', { name: 'Send message' }).click();
      await expectText(page.locator('.lc-status'), "Thanks, your message was sent. We'll reply to lena@example.com, or right here if an operator comes online while you are on this page.");
      await expectText(page.locator('.msg-own .msg-text'), 'Do you ship to Norway?');
      await shot(page, 'message-left');

      // An operator comes online: the left message goes to her, and her answer reaches the embedded widget.
      const sessionId = await widgetSessionId(page, url);
      expect((await getSession(url, admin.token, sessionId)).metadata).toMatchObject({ leftMessage: true });
      const olga = await connectedOperator(url, admin.token, { name: 'Olga Online', status: 'online' });
      await expectText(page.locator('.lc-status'), "You're chatting with Olga Online.");
      await call(olga.socket, 'message:send', { sessionId, content: 'Yes, we do!', clientMessageId: cmid() });
      await expectText(page.locator('.msg-other .msg-text'), 'Yes, we do!');
      await fitsWidth(page, '.lc-panel', 390);
      await shot(page, 'answered');
      expect(problems.errors).toEqual([]);
    } finally {
      await new Promise((resolve) => site.close(resolve));
    }
  }, 90_000);

  it('outside business hours: the widget says when the team opens again and takes a message though Olga is online; her console marks it', async () => {
    const { url } = await boot();
    const shot = screenshots('outside-business-hours');
    const olgaStaff = await createOperator(url, admin.token, { name: 'Olga Operator' });
    const consolePage = await (await freshContext(browser)).newPage();
    await logInToConsole(consolePage, url, olgaStaff.email, 'online');
    // Open only on the weekday after today, 09:00–17:00 UTC: closed now, open again tomorrow at 09:00.
    const tomorrow = new Date(Date.now() + 86_400_000);
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][tomorrow.getUTCDay()];
    await request(url)
      .patch('/api/settings')
      .set(bearer(admin.token))
      .send({ businessHours: { timezone: 'UTC', week: [{ day, open: '09:00', close: '17:00' }], closedDates: [] } })
      .expect(200);
    const opens = new Date(`${tomorrow.toISOString().slice(0, 10)}T09:00:00Z`);

    const page = await (await freshContext(browser)).newPage();
    const problems = [watch(page), watch(consolePage)];
    await page.goto(`${url}/`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    await expectText(page.locator('.lc-form-title'), 'Leave a message');
    const when = await page.evaluate((iso) => new Date(iso).toLocaleString(undefined, { weekday: 'long', hour: '2-digit', minute: '2-digit' }), opens.toISOString());
    await expectText(page.locator('.lc-intro'), `We're closed right now and open again on ${when}. Leave a message and we'll get back to you by email.`);
    await page.getByLabel('Name', { exact: true }).fill('Nina Night');
    await page.getByLabel('Email', { exact: true }).fill('nina@example.com');
    await page.getByLabel('Message', { exact: true }).fill('Are you open on Sundays?');
    await shot(page, 'widget-closed');
    await page.getByRole('button', { name: 'Send message' }).click();
    await expectText(page.locator('.msg-own .msg-text'), 'Are you open on Sundays?');

    // Routing is unchanged outside hours: Olga, online, gets it, marked as a left message with the email to answer.
    await consolePage.getByRole('tab', { name: /Nina Night/ }).waitFor();
    await consolePage.getByRole('tab', { name: /Nina Night/ }).click();
    await expectText(consolePage.locator('.conversation-head .muted').first(), /^Left a message · nina@example\.com · /);
    await shot(consolePage, 'console-marks-the-left-message');
    const sessionId = await widgetSessionId(page, url);
    expect((await getSession(url, admin.token, sessionId)).offline).toBe(true);
    // The link a mail about it carries opens the conversation in anyone's console.
    const adminConsole = await (await freshContext(browser)).newPage();
    problems.push(watch(adminConsole));
    await logInToConsole(adminConsole, url, admin.email);
    await adminConsole.goto(`${url}/console?session=${sessionId}`);
    await expectText(adminConsole.locator('#conversation-title'), 'Nina Night');
    await expectText(adminConsole.locator('.msg-text').first(), 'Are you open on Sundays?');
    expect(problems.flatMap((p) => p.errors)).toEqual([]);
  }, 90_000);

  it('requeued: the operator drops and does not come back; the customer is told they are back in the queue, and where', async () => {
    const { url } = await boot({ OPERATOR_PRESENCE_GRACE_SECONDS: '1' });
    const olga = await connectedOperator(url, admin.token, { name: 'Olga Online', status: 'online' });
    const page = await (await freshContext(browser)).newPage();
    const problems = watch(page);
    await page.goto(`${url}/`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Rhea Requeued');
    await page.getByLabel('Email', { exact: true }).fill('rhea@example.com');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await expectText(page.locator('.lc-status'), "You're chatting with Olga Online.");
    olga.socket.disconnect();
    await expectText(page.locator('.lc-status'), /^Your operator had to leave, so you are back in the queue\. You are number 1 in the queue\./, 15_000);
    await screenshots('requeued')(page, 'customer-told');
    expect(problems.errors).toEqual([]);
  }, 60_000);

  it('an admin sets business hours, a holiday and who is told from the console; a bad time is refused in words and nothing changes', async () => {
    const { url } = await boot();
    const page = await (await freshContext(browser)).newPage();
    const problems = watch(page);
    await logInToConsole(page, url, admin.email);
    await page.getByRole('navigation', { name: 'Console screens' }).getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByLabel(/^Business hours/).check();
    await settings.getByLabel('Time zone').fill('Europe/Paris');
    for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']) await settings.getByLabel(day).fill('09:00-12:30, 13:30-17:00');
    await settings.getByLabel('Closed dates (one a line, YYYY-MM-DD)').fill('2026-12-25');
    await settings.getByLabel('Tell of offline messages (emails)').fill('team@example.com');
    await settings.getByLabel('Per department (name: emails, one a line)').fill('sales: sales@example.com, boss@example.com');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expectText(settings.locator('.settings-status'), 'Saved.');
    const saved = (await request(url).get('/api/settings').set(bearer(admin.token))).body.data;
    expect(saved.businessHours).toEqual({
      timezone: 'Europe/Paris',
      week: ['mon', 'tue', 'wed', 'thu', 'fri'].flatMap((day) => [
        { day, open: '09:00', close: '12:30' },
        { day, open: '13:30', close: '17:00' },
      ]),
      closedDates: ['2026-12-25'],
    });
    expect(saved.offlineNotifyEmails).toEqual(['team@example.com']);
    expect(saved.departments).toEqual([{ name: 'sales', offlineNotifyEmails: ['sales@example.com', 'boss@example.com'] }]);
    await screenshots('settings')(page, 'saved');

    await settings.getByLabel('Saturday').fill('25:00-26:00');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expectText(settings.locator('.settings-status.error'), /businessHours: week\[10\]\.open: a time HH:MM/);
    expect((await request(url).get('/api/settings').set(bearer(admin.token))).body.data).toEqual(saved);
    // The refused save is the browser's one logged failure.
    expect(problems.errors).toEqual([expect.stringMatching(/status of 400 .*\/api\/settings/)]);
  }, 60_000);
});

/** The element is on screen within the phone's width (nothing to scroll sideways to reach it). */
async function fitsWidth(page: Page, selector: string, width: number): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  expect(box).not.toBeNull();
  expect(box && box.x >= 0 && box.x + box.width <= width).toBe(true);
}
