import type { Page } from 'playwright-core';
import { createOperator, createSession } from '../helpers/api';
import { chromiumAvailable, expectText, screenshots, watch } from '../helpers/browser';
import { browserStage } from '../helpers/browserStage';
import { call, cmid, connectCustomer } from '../helpers/sockets';

/**
 * A chat handed from one operator to another keeps every message's writer, as people see it in the consoles:
 * in the console that took the chat over, the previous operator's reply is on the far side under her name (not
 * drawn as the new operator's own), the customer's under theirs, and the new operator's own replies on his
 * side. The customer's widget names each operator on their own messages.
 */

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('browser: a transferred chat in both consoles', () => {
  const stage = browserStage({ OPERATOR_PRESENCE_GRACE_SECONDS: '3600' });
  const bubble = (page: Page, side: 'own' | 'other', text: string) => page.locator(`.msg-${side}`, { has: page.locator('.msg-text', { hasText: text }) });

  it('each message shows its writer’s name, on the right side, before and after the transfer', async () => {
    const { server, admin } = stage;
    const { url } = server;
    const shot = screenshots('transfer-names');
    const ann = await createOperator(url, admin.token, { name: 'Ann Archer' });
    const ben = await createOperator(url, admin.token, { name: 'Ben Brook' });
    const annPage = await stage.openConsole(ann.email, 'online');
    const benPage = await stage.openConsole(ben.email, 'busy');
    const problems = [watch(annPage), watch(benPage)];

    const customer = await createSession(url, { customerName: 'Carla Customer', message: 'My invoice is wrong' });
    expect(customer.session.operatorId).toBe(ann.id);
    const widget = await connectCustomer(url, customer.customerToken);

    // Ann's console: the customer on the far side, Ann's reply on her own side.
    await annPage.getByRole('tab', { name: /Carla Customer/ }).waitFor();
    const reply = annPage.getByRole('textbox', { name: 'Reply' });
    await reply.fill('Ann here, let me look');
    await reply.press('Enter');
    await bubble(annPage, 'own', 'Ann here, let me look').waitFor();
    await expectText(bubble(annPage, 'other', 'My invoice is wrong').locator('.msg-sender'), 'Carla Customer');
    await shot(annPage, 'ann-before-transfer');

    await annPage.locator(`select[name="transfer-target"] option[value="op:${ben.id}"]`).waitFor({ state: 'attached' });
    await annPage.getByLabel('Transfer to').selectOption(`op:${ben.id}`);
    await annPage.getByRole('button', { name: 'Transfer', exact: true }).click();

    // Ben's console: Ann's reply is hers, not his: far side, under her name.
    await benPage.getByRole('tab', { name: /Carla Customer/ }).waitFor();
    await expectText(bubble(benPage, 'other', 'Ann here, let me look').locator('.msg-sender'), 'Ann Archer');
    await expectText(bubble(benPage, 'other', 'My invoice is wrong').locator('.msg-sender'), 'Carla Customer');
    expect(await bubble(benPage, 'own', 'Ann here, let me look').count()).toBe(0);
    const benReply = benPage.getByRole('textbox', { name: 'Reply' });
    await benReply.fill('Ben from billing');
    await benReply.press('Enter');
    await bubble(benPage, 'own', 'Ben from billing').waitFor();
    await call(widget, 'message:send', { content: 'Thanks Ben', clientMessageId: cmid() });
    await expectText(bubble(benPage, 'other', 'Thanks Ben').locator('.msg-sender'), 'Carla Customer');
    await shot(benPage, 'ben-after-transfer');

    expect(problems.flatMap((p) => p.errors)).toEqual([]);
  }, 120_000);
});
