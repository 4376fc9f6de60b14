import request from 'supertest';
import type { Page } from 'playwright-core';
import { bearer, createSession } from '../helpers/api';
import { browserStage } from '../helpers/browserStage';
import { chromiumAvailable, expectText, freshContext, watch } from '../helpers/browser';
import { connectCustomer, connectedOperator } from '../helpers/sockets';
import { waitFor } from '../helpers/wait';

/**
 * A message longer than the server takes (MAX_MESSAGE_LENGTH, told in GET /api/chat/availability) is refused by
 * the page before it is sent, with the limit shown; as it nears the limit the page says what is left. The text
 * is kept, so nothing typed is lost; shortened, it goes. Both pages: the widget and the console.
 */

const describeBrowser = chromiumAvailable() ? describe : describe.skip;
const LIMIT = 40;

describeBrowser('browser: the message limit, shown before sending', () => {
  const stage = browserStage({ MAX_MESSAGE_LENGTH: String(LIMIT), OPERATOR_PRESENCE_GRACE_SECONDS: '3600' });

  async function customerMessages(sessionId: string): Promise<string[]> {
    const res = await request(stage.server.url).get(`/api/chat/messages/${sessionId}`).set(bearer(stage.admin.token));
    return (res.body.data as Array<{ senderType: string; content: string }>).filter((m) => m.senderType === 'customer').map((m) => m.content);
  }

  async function check(page: Page, box: ReturnType<Page['getByRole']>, sent: () => Promise<string[]>, own: string): Promise<void> {
    await box.fill('x'.repeat(LIMIT - 4));
    await expectText(page.locator('.composer-limit'), '4 characters left');
    await box.fill('y'.repeat(LIMIT + 5));
    await box.press('Enter');
    await expectText(page.locator('.composer-limit'), `Too long to send: at most ${LIMIT} characters (this one has ${LIMIT + 5}).`);
    // Not sent, and not lost.
    expect(await box.inputValue()).toBe('y'.repeat(LIMIT + 5));
    await box.fill('Short enough');
    await box.press('Enter');
    await page.locator(`${own} .msg-text`, { hasText: 'Short enough' }).waitFor();
    expect(await page.locator('.composer-limit').isHidden()).toBe(true);
    expect((await sent()).filter((content) => content.startsWith('y'))).toEqual([]);
  }

  it('GET /api/chat/availability tells the limit', async () => {
    expect((await request(stage.server.url).get('/api/chat/availability')).body.data.maxMessageLength).toBe(LIMIT);
  });

  it('the widget', async () => {
    // Someone is online, so the widget offers a chat rather than the "leave a message" form.
    await connectedOperator(stage.server.url, stage.admin.token, { name: 'Olly Online', status: 'online' });
    const page = await (await freshContext(stage.browser, { viewport: { width: 375, height: 700 } })).newPage();
    const problems = watch(page);
    await page.goto(`${stage.server.url}/`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Liam Limit');
    await page.getByLabel('Email', { exact: true }).fill('liam@example.com');
    await page.getByRole('button', { name: 'Start chat' }).click();
    const box = page.getByRole('textbox', { name: 'Message', exact: true });
    await box.waitFor();
    const sessionId = await page.evaluate<string>(`JSON.parse(localStorage.getItem(${JSON.stringify(`livechat:${stage.server.url}`)}) || '{}').sessionId || ''`);
    await check(page, box, () => customerMessages(sessionId), '.msg-own');
    expect(problems.errors).toEqual([]);
  }, 60_000);

  it('the console', async () => {
    // Ada goes online first: with fewer chats than Olly (who has Liam's), she gets Cora's.
    const page = await stage.openConsole(stage.admin.email, 'online');
    const problems = watch(page);
    await waitFor(async () => ((await request(stage.server.url).get('/api/operators/online').set(bearer(stage.admin.token))).body.data as Array<{ id: number }>).some((o) => o.id === stage.admin.id) || undefined, 10_000, 'Ada online');
    const customer = await createSession(stage.server.url, { customerName: 'Cora Console' });
    await connectCustomer(stage.server.url, customer.customerToken);
    await page.getByRole('tab', { name: /Cora Console/, selected: true }).waitFor();
    const operatorMessages = async (): Promise<string[]> => {
      const res = await request(stage.server.url).get(`/api/chat/messages/${customer.session.id}`).set(bearer(stage.admin.token));
      return (res.body.data as Array<{ senderType: string; content: string }>).filter((m) => m.senderType === 'operator').map((m) => m.content);
    };
    await check(page, page.getByRole('textbox', { name: 'Reply' }), operatorMessages, '.msg-own');
    expect(problems.errors).toEqual([]);
  }, 60_000);
});
