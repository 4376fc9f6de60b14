import request from 'supertest';
import { bearer, createOperator } from '../helpers/api';
import { chromiumAvailable, expectText, freshContext, screenshots, watch, widgetSessionId } from '../helpers/browser';
import { browserStage } from '../helpers/browserStage';
import { call, connectOperator } from '../helpers/sockets';

/**
 * Notes, saved replies and labels in the console: Ann turns on Note and writes one; it looks like a note (marked in words), the
 * customer's widget never shows it, and Ben, who takes the chat over, reads it in the conversation. Ann's
 * saved reply goes out with the customer's and her own name filled in. The label Ann puts on the chat shows on
 * its tab in both consoles. When an admin opens the chat and types, Ben is warned.
 */
const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('browser: internal notes', () => {
  const stage = browserStage({ OPERATOR_PRESENCE_GRACE_SECONDS: '3600' });

  it('a note reaches a colleague and never the customer; a saved reply goes out filled in; a label shows on the tabs; search finds the chat by label and word', async () => {
    const { browser, server, admin } = stage;
    const { url } = server;
    const shot = screenshots('notes');
    const ann = await createOperator(url, admin.token, { name: 'Ann Archer' });
    const ben = await createOperator(url, admin.token, { name: 'Ben Brook' });
    await request(url).post('/api/labels').set(bearer(admin.token)).send({ name: 'refund', color: '#d97706' }).expect(201);
    await request(url)
      .post('/api/canned-responses')
      .set(bearer(admin.token))
      .send({ shortcut: 'sorry', content: 'Sorry {{customer.name}}, {{operator.name}} is on it', scope: 'shared' })
      .expect(201);
    const annPage = await stage.openConsole(ann.email, 'online');
    const benPage = await stage.openConsole(ben.email, 'busy');

    const customer = await (await freshContext(browser)).newPage();
    const problems = [watch(annPage), watch(benPage), watch(customer)];
    await customer.goto(`${url}/`);
    await customer.getByRole('button', { name: 'Chat with us' }).click();
    await customer.getByLabel('Name', { exact: true }).fill('Carla Customer');
    await customer.getByLabel('Email', { exact: true }).fill('carla@example.com');
    await customer.getByLabel('How can we help? (optional)').fill('My parcel never came');
    await customer.getByRole('button', { name: 'Start chat' }).click();
    await annPage.getByRole('tab', { name: /Carla Customer/ }).waitFor();
    await annPage.getByRole('checkbox', { name: /^Note/ }).check();
    const note = annPage.getByRole('textbox', { name: 'Note for your team' });
    await note.fill('Second parcel this month: offer a refund');
    await annPage.getByRole('button', { name: 'Add note' }).click();
    const annNote = annPage.locator('.msg-note', { hasText: 'Second parcel this month' });
    await expectText(annNote.locator('.msg-note-label'), 'Note · only your team sees this');
    await annPage.getByRole('checkbox', { name: /^Note/ }).uncheck();
    // A saved reply, by keyboard: "/" opens the picker, Enter puts it in the box with the names filled in.
    const reply = annPage.getByRole('textbox', { name: 'Reply' });
    // Typed at once after the toggle's click took the focus away: the list stays open past that blur's close.
    await reply.pressSequentially('/sor');
    const picker = annPage.getByRole('listbox', { name: 'Saved replies' });
    await expectText(picker.getByRole('option', { selected: true }), /\/sorry/);
    await annPage.waitForTimeout(300);
    expect(await picker.isVisible()).toBe(true);
    await reply.press('Enter');
    expect(await reply.inputValue()).toBe('Sorry Carla Customer, Ann Archer is on it');
    await shot(annPage, 'ann-picks-a-saved-reply');
    await reply.press('Enter');
    await customer.locator('.msg-text', { hasText: 'Sorry Carla Customer, Ann Archer is on it' }).waitFor();
    // Ann labels the chat; the chip shows in the header and on the tab.
    await annPage.locator('.conversation-head').getByText('Labels', { exact: true }).click();
    await annPage.getByRole('checkbox', { name: 'refund' }).check();
    await expectText(annPage.locator('.conversation-head .label-chip'), 'refund');
    await expectText(annPage.getByRole('tab', { name: /Carla Customer/ }).locator('.label-chip'), 'refund');
    await shot(annPage, 'ann-writes-a-note');
    await shot(customer, 'customer-sees-the-reply-only');
    expect(await customer.getByText('Second parcel this month').count()).toBe(0);

    await annPage.locator(`select[name="transfer-target"] option[value="op:${ben.id}"]`).waitFor({ state: 'attached' });
    await annPage.getByLabel('Transfer to').selectOption(`op:${ben.id}`);
    await annPage.getByRole('button', { name: 'Transfer', exact: true }).click();
    await benPage.getByRole('tab', { name: /Carla Customer/ }).waitFor();
    const benNote = benPage.locator('.msg-note', { hasText: 'Second parcel this month' });
    await expectText(benNote.locator('.msg-sender'), 'Ann Archer');
    await expectText(benPage.getByRole('tab', { name: /Carla Customer/ }).locator('.label-chip'), 'refund');
    await shot(benPage, 'ben-reads-the-note');

    // Ada (an admin) opens the same chat and starts writing a note: Ben is warned above his reply box.
    const sessionId = await widgetSessionId(customer, url);
    const ada = await connectOperator(url, admin.token);
    await call(ada, 'session:viewing', { sessionId, viewing: true });
    await expectText(benPage.locator('.colleagues'), 'Ada Admin is viewing');
    await call(ada, 'typing', { sessionId, isTyping: true, internal: true });
    await expectText(benPage.locator('.colleagues'), 'Ada Admin is typing');
    await shot(benPage, 'ben-warned-ada-is-typing');
    ada.disconnect();
    await benPage.locator('.colleagues').waitFor({ state: 'hidden' });

    // Ann, whose chat went to Ben, finds it again by a word from its text and its label; a result opens it at the message.
    const search = annPage.getByRole('search');
    await search.getByLabel('Search chats').fill('PARCEL');
    await search.getByLabel('Label').selectOption('refund');
    await search.getByRole('button', { name: 'Search' }).click();
    const results = annPage.locator('.search-results .search-result');
    await results.nth(1).waitFor();
    expect(await results.allTextContents()).toEqual([expect.stringMatching(/^Carla Customer.*Note ·.*Second parcel this month: offer a refund$/), expect.stringMatching(/^Carla Customer.*My parcel never came$/)]);
    await results.filter({ hasText: 'My parcel never came' }).click();
    await expectText(annPage.locator('.msg-found'), /My parcel never came/);
    await expectText(annPage.locator('#conversation-title'), 'Carla Customer');
    await shot(annPage, 'ann-finds-the-chat-by-label-and-word');

    // The chat is Ben's now: Ann's reply box is for notes, and while she writes one Ben sees her typing; the customer
    // is told nothing (no "typing" in the widget).
    expect(await annPage.getByRole('checkbox', { name: /Note/ }).isChecked()).toBe(true);
    await annPage.getByRole('textbox', { name: 'Note for your team' }).pressSequentially('Ben, she was promised a refund');
    await expectText(benPage.locator('.colleagues'), 'Ann Archer is typing');
    await shot(benPage, 'ben-sees-ann-writing-a-note');
    expect(await customer.getByText(/is typing/).allTextContents()).toEqual([]);
    await search.getByLabel('Search chats').fill('kumquat');
    await search.getByRole('button', { name: 'Search' }).click();
    await expectText(annPage.locator('.search-results'), 'Nothing found.');

    // The customer reloads: the conversation comes back from the server, still without the note.
    await customer.reload();
    await customer.locator('.msg-text', { hasText: 'Sorry Carla Customer, Ann Archer is on it' }).waitFor();
    expect(await customer.getByText('Second parcel this month').count()).toBe(0);
    expect(problems.flatMap((p) => p.errors)).toEqual([]);
  }, 120_000);
});
