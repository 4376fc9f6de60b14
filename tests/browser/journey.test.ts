import type { Browser, Page } from 'playwright-core';
import { describeEachBackend } from '../helpers/backends';
import { createAdmin, createOperator, createSession, getSession, PASSWORD, type Staff } from '../helpers/api';
import { chromiumAvailable, expectText, freshContext, launchBrowser, screenshots, watch, widgetSessionId, type PageProblems } from '../helpers/browser';
import { closeAllSockets, connectedOperator } from '../helpers/sockets';
import { startTestServer, type TestServer } from '../helpers/testServer';

/**
 * The whole conversation as the two people see it, in Debian's chromium: a customer on the demo page with the
 * widget, an operator in the console, from the start form to the rating.
 */

const describeBrowser = chromiumAvailable() ? describeEachBackend : (title: string) => describe.skip(title, () => undefined);

describeBrowser('browser: customer and operator, start to rating', (backend) => {
  let browser: Browser;
  let server: TestServer;
  let admin: Staff;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    // A long grace: the background operator's socket must not turn them offline mid-test.
    server = await startTestServer(backend, { env: { OPERATOR_PRESENCE_GRACE_SECONDS: '3600' } });
    admin = await createAdmin(server);
  });
  afterEach(async () => {
    for (const context of browser?.contexts() ?? []) await context.close();
    closeAllSockets();
    await server?.close();
  });

  it('start chat → queued → operator online → assigned → messages and typing both ways → reload keeps history → operator closes → customer rates', async () => {
    const shot = screenshots(`journey-${backend.name.replace(/\W+/g, '-')}`);
    // Bob is online with his one seat taken, so the next customer queues (and the widget offers a chat, not a message).
    const bob = await connectedOperator(server.url, admin.token, { name: 'Bob Busy', status: 'online', maxConcurrentSessions: 1 });
    expect((await createSession(server.url, { customerName: 'Earlier Customer' })).session.operatorId).toBe(bob.id);
    const olga = await createOperator(server.url, admin.token, { name: 'Olga Operator', maxConcurrentSessions: 3 });

    const customer = await (await freshContext(browser)).newPage();
    const operator = await (await freshContext(browser)).newPage();
    const problems: PageProblems[] = [watch(customer), watch(operator)];

    // The customer opens the widget on the demo page and starts a chat.
    await customer.goto(`${server.url}/`);
    await customer.getByRole('button', { name: 'Chat with us' }).click();
    await customer.getByLabel('Name', { exact: true }).fill('Carla Customer');
    await customer.getByLabel('Email', { exact: true }).fill('carla@example.com');
    await customer.getByLabel('How can we help? (optional)').fill('Hi, I need help with my order');
    await shot(customer, 'customer-start-form');
    await customer.getByRole('button', { name: 'Start chat' }).click();

    // Queued: position and estimated wait, her first message already in the conversation.
    await expectText(customer.locator('.lc-status'), /^You are number 1 in the queue\. Estimated wait: .+\.$/);
    await ownBubble(customer, 'Hi, I need help with my order').waitFor();
    await shot(customer, 'customer-queued');

    // The operator logs in and goes online: the waiting chat comes to her, announced.
    await operator.goto(`${server.url}/console`);
    await operator.getByLabel('Email').fill(olga.email);
    await operator.getByLabel('Password').fill(PASSWORD);
    await operator.getByRole('button', { name: 'Log in' }).click();
    await expectText(operator.locator('.me-name'), 'Olga Operator');
    expect(await operator.getByLabel('My status').inputValue()).toBe('offline');
    await shot(operator, 'operator-logged-in');
    await operator.getByLabel('My status').selectOption('online');
    await operator.getByRole('tab', { name: /Carla Customer/ }).waitFor();
    await expectText(operator.locator('.toast'), 'New chat from Carla Customer');
    await otherBubble(operator, 'Hi, I need help with my order').waitFor();
    await shot(operator, 'operator-assigned');

    // The customer sees who she is talking to, and that her message was read.
    await expectText(customer.locator('.lc-status'), "You're chatting with Olga Operator.");
    await ownBubble(customer, 'Hi, I need help with my order').getByRole('img', { name: 'Read' }).waitFor();

    // Operator → customer, with the typing indicator first.
    const reply = operator.getByRole('textbox', { name: 'Reply' });
    await reply.pressSequentially('Hello Carla, let me check', { delay: 15 });
    await expectText(customer.locator('.lc-typing'), 'Olga Operator is typing…');
    await shot(customer, 'customer-sees-typing');
    await reply.press('Enter');
    await otherBubble(customer, 'Hello Carla, let me check').waitFor();
    await expectText(customer.locator('.msg-other .msg-sender').last(), 'Olga Operator');
    await customer.locator('.lc-typing').waitFor({ state: 'hidden' });
    // The widget is open in front of the customer: the operator's message shows as read.
    await ownBubble(operator, 'Hello Carla, let me check').getByRole('img', { name: 'Read' }).waitFor();

    // Customer → operator, with typing.
    const message = customer.getByRole('textbox', { name: 'Message', exact: true });
    await message.pressSequentially('Order 1234', { delay: 15 });
    await expectText(operator.locator('.typing'), 'Carla Customer is typing…');
    await shot(operator, 'operator-sees-typing');
    await message.press('Enter');
    await otherBubble(operator, 'Order 1234').waitFor();
    await operator.locator('.typing').waitFor({ state: 'hidden' });
    await ownBubble(customer, 'Order 1234').getByRole('img', { name: 'Read' }).waitFor();
    await reply.fill('Found it: it ships tomorrow.');
    await operator.getByRole('button', { name: 'Send', exact: true }).click();
    await otherBubble(customer, 'Found it: it ships tomorrow.').waitFor();
    await shot(customer, 'customer-conversation');
    await shot(operator, 'operator-conversation');

    // A reload resumes the same session, panel open, every message in order.
    await customer.reload();
    await expectText(customer.locator('.lc-status'), "You're chatting with Olga Operator.");
    await otherBubble(customer, 'Found it: it ships tomorrow.').waitFor();
    const texts = await customer.locator('.msg:not(.msg-system) .msg-text').allTextContents();
    expect(texts).toEqual(['Hi, I need help with my order', 'Hello Carla, let me check', 'Order 1234', 'Found it: it ships tomorrow.']);
    await shot(customer, 'customer-after-reload');

    // The operator closes; the customer is asked for a rating and gives one.
    // Closing asks first.
    await operator.getByRole('button', { name: 'Close chat' }).click();
    await operator.getByRole('button', { name: 'Yes, close it' }).click();
    await expectText(operator.locator('.closed-note p'), 'This chat is closed.');
    await operator.getByRole('tab', { name: /Carla Customer.*closed/ }).waitFor();
    await expectText(customer.locator('.lc-status'), 'This chat has ended.');
    await customer.getByRole('group', { name: 'How was this chat?' }).waitFor();
    expect(await customer.getByRole('textbox', { name: 'Message', exact: true }).isVisible()).toBe(false);
    await shot(customer, 'customer-rating-form');
    await customer.getByRole('radio', { name: '5 stars' }).check();
    await customer.getByLabel('Comment (optional)').fill('Quick and kind');
    await customer.getByRole('button', { name: 'Send rating' }).click();
    await expectText(customer.locator('.lc-thanks'), 'Thanks for your feedback!');
    await shot(customer, 'customer-rated');
    await shot(operator, 'operator-closed');

    const sessionId = await widgetSessionId(customer, server.url);
    expect(await getSession(server.url, admin.token, sessionId)).toMatchObject({ status: 'closed', closedBy: 'operator', rating: 5, operatorId: olga.id });
    expect(problems.flatMap((p) => p.errors)).toEqual([]);
  }, 120_000);
});

function ownBubble(page: Page, text: string) {
  return page.locator('.msg-own').filter({ has: page.locator('.msg-text', { hasText: text }) });
}

function otherBubble(page: Page, text: string) {
  return page.locator('.msg-other').filter({ has: page.locator('.msg-text', { hasText: text }) });
}
