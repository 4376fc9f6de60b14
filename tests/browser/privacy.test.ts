import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import request from 'supertest';
import type { Page } from 'playwright-core';
import type { AuditEntryDTO, CustomerExportDTO, ErasureDTO, SearchResultDTO } from '../../services/contract';
import { bearer, closeSession, createOperator, createSession, expectStatus, getData, getSession, listMessages } from '../helpers/api';
import { chromiumAvailable, expectText, screenshots, watch } from '../helpers/browser';
import { browserStage } from '../helpers/browserStage';
import { smallPng } from '../helpers/files';
import { cmid } from '../helpers/sockets';
import { waitFor } from '../helpers/wait';

/**
 * A customer's data from the console (PROTOCOL.md "Customer data"): an admin exports everything held about a
 * customer as a file, erases it after a dialog that says what goes (cancelled first, by button and by Escape),
 * and the conversation, search and the export are empty of it afterwards; one chat without a customer id is
 * erased alone; both show in the audit log, a page at a time. An operator sees none of these actions. Screenshots
 * under test-artifacts/browser/privacy/.
 */

const describeBrowser = chromiumAvailable() ? describe : describe.skip;
const CUSTOMER = 'cust-8841';
/** A word only this test writes, so search finds exactly the messages that hold it. */
const WORD = 'zanzibarite';
/** Labels added first: older audit entries than the console's first page of 50 holds. */
const LABELS = 50;

/** axe's serious and critical findings, as accessibility.test.ts reads them: the dialog and the audit log are checked here. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact ?? ''}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

describeBrowser('browser: a customer’s data, exported and erased by an admin', () => {
  const stage = browserStage({ OPERATOR_PRESENCE_GRACE_SECONDS: '3600' });
  const screen = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console screens' }).getByRole('button', { name, exact: true });
  const focused = (page: Page): Promise<string | null> => page.evaluate<string | null>('document.activeElement && document.activeElement.textContent');
  const search = (q: string) => getData<SearchResultDTO[]>(stage.server.url, stage.admin.token, `/api/chat/search?q=${encodeURIComponent(q)}`);
  const exportOf = (customerId: string) => getData<CustomerExportDTO>(stage.server.url, stage.admin.token, `/api/users/${encodeURIComponent(customerId)}/export`);

  it('export as a file, erase after saying what goes, nothing of it left in the chat, search or export; audit log; none of it for an operator', async () => {
    const { url } = stage.server;
    const admin = stage.admin;
    const shot = screenshots('privacy');
    const olga = await createOperator(url, admin.token, { name: 'Olga Operator' });
    // Enough earlier entries that the audit log's newest ones fill its first page.
    for (let n = 1; n <= LABELS; n += 1) expectStatus(await request(url).post('/api/labels').set(bearer(admin.token)).send({ name: `topic-${n}` }), 201);

    // Priya (customer id cust-8841) chatted last week and is back, with a file; another customer wrote the same word.
    const priya = { customerId: CUSTOMER, customerName: 'Priya Private', customerEmail: 'priya@example.com', metadata: { page: 'https://shop.example/orders', plan: 'gold' } };
    const lastWeek = await createSession(url, { ...priya, message: 'Quokka question from last week' });
    await closeSession(url, admin.token, lastWeek.session.id);
    const now = await createSession(url, { ...priya, message: `My ${WORD} order never arrived` });
    const upload = await request(url).post(`/api/chat/sessions/${now.session.id}/messages`).set(bearer(now.customerToken)).field('clientMessageId', cmid()).attach('file', await smallPng(), 'receipt.png');
    expectStatus(upload, 201);
    const other = await createSession(url, { customerId: 'c-7', customerName: 'Otto Other', message: `Is ${WORD} in stock?` });

    // The admin opens Priya's chat and leaves a note for the team.
    const page = await stage.openConsole(admin.email);
    const problems = watch(page);
    await page.goto(`${url}/console?session=${now.session.id}`);
    await page.getByRole('tab', { name: /Priya Private/, selected: true }).waitFor();
    await page.locator('.msg-text', { hasText: `My ${WORD} order never arrived` }).waitFor();
    await page.locator('.msg-other .msg-file-name, .msg-other img.msg-thumb').first().waitFor();
    const note = page.getByRole('textbox', { name: 'Note for your team' });
    await note.fill(`Promised a ${WORD} refund`);
    await note.press('Enter');
    await page.locator('.msg-note .msg-text', { hasText: `Promised a ${WORD} refund` }).waitFor();
    const panel = page.getByRole('complementary', { name: 'Customer' });
    await expectText(panel.locator('.customer-data p'), `Every chat under customer id ${CUSTOMER}.`);

    // Export: the browser saves customer-cust-8841.json with both chats, the note and the file.
    const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Export data' }).click()]);
    expect(download.suggestedFilename()).toBe(`customer-${CUSTOMER}.json`);
    const saved = JSON.parse(await readFile(await download.path(), 'utf8')) as CustomerExportDTO;
    expect(saved.customerId).toBe(CUSTOMER);
    expect(saved.sessions.map((s) => s.session.id).sort()).toEqual([lastWeek.session.id, now.session.id].sort());
    const savedMessages = saved.sessions.flatMap((s) => s.messages);
    expect(savedMessages.map((m) => m.content)).toEqual(expect.arrayContaining(['Quokka question from last week', `My ${WORD} order never arrived`, `Promised a ${WORD} refund`]));
    expect(savedMessages.find((m) => m.internal)?.content).toBe(`Promised a ${WORD} refund`);
    const file = savedMessages.find((m) => m.attachment)?.attachment;
    expect(file?.fileName).toBe('receipt.png');
    await expectText(page.locator('.toast'), `Saved 2 chats of customer ${CUSTOMER} as customer-${CUSTOMER}.json.`);
    expect((await request(url).get(file?.url ?? '/missing')).status).toBe(200);

    // Erase: a dialog names the customer and what goes; focus starts on Cancel; Cancel changes nothing.
    const erase = panel.getByRole('button', { name: 'Erase data' });
    await erase.click();
    const dialog = page.getByRole('alertdialog', { name: `Erase customer ${CUSTOMER}?` });
    await expectText(
      dialog.locator('p'),
      `Erase everything we hold about customer ${CUSTOMER}: 2 chats — every message (notes too), the files, ratings and comments, and their name, email and details. The chats stay only as anonymous counts for statistics. This cannot be undone.`,
    );
    expect(await focused(page)).toBe('Cancel');
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'erase-asked');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe('Erase data');
    // From the keyboard: Enter opens it again, Escape cancels.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused(page)).toBe('Erase data');
    expect((await exportOf(CUSTOMER)).sessions).toHaveLength(2);
    expect((await search(WORD)).length).toBeGreaterThanOrEqual(3);

    // Confirmed: the notice says what the server counted: both chats, every message exported (and the line that
    // closing the open chat first wrote), the one file.
    await erase.click();
    const [answer] = await Promise.all([
      page.waitForResponse((res) => res.request().method() === 'DELETE' && res.url().endsWith(`/api/users/${CUSTOMER}`)),
      dialog.getByRole('button', { name: 'Erase everything' }).click(),
    ]);
    const erased = ((await answer.json()) as { data: ErasureDTO }).data;
    expect(erased).toEqual({ customerId: CUSTOMER, sessionId: null, sessions: 2, messages: expect.any(Number), attachments: 1 });
    expect(erased.messages).toBeGreaterThanOrEqual(savedMessages.length);
    await expectText(page.locator('.toast'), `Erased 2 chats: ${erased.messages} messages, 1 file.`);

    // The conversation in front is drawn again from what is left: no name, no email, no messages, no file.
    await expectText(page.locator('#conversation-title'), 'Visitor');
    await page.getByRole('tab', { name: /Visitor/, selected: true }).waitFor();
    await expectText(panel.locator('dd').nth(0), 'Visitor');
    await expectText(panel.locator('dd').nth(1), '—');
    await expectText(panel.locator('dd').nth(2), '—');
    await waitFor(async () => (await page.locator('#conversation .msg').count()) === 0, 10_000, 'the erased messages to leave the page');
    // Nor anywhere else on the page (the queue showed her first words): at once, not at the next periodic read.
    await waitFor(async () => (await page.locator('.queue-item', { hasText: 'Priya' }).count()) === 0, 2_000, 'the erased chat to leave the queue');
    const shown = (await page.locator('body').textContent()) ?? '';
    for (const gone of ['Priya', 'priya@example.com', `My ${WORD}`, `${WORD} refund`, 'receipt.png', 'shop.example', 'gold', CUSTOMER]) expect(shown).not.toContain(gone);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'erased');

    // The server holds none of it: search finds only the other customer, the export is empty, the file is gone.
    expect((await search(WORD)).map((r) => r.session.id)).toEqual([other.session.id]);
    expect(await search('Priya')).toEqual([]);
    expect((await exportOf(CUSTOMER)).sessions).toEqual([]);
    for (const id of [lastWeek.session.id, now.session.id]) {
      const left = await getSession(url, admin.token, id);
      expect({ status: left.status, customerId: left.customerId, customerName: left.customerName, customerEmail: left.customerEmail, metadata: left.metadata, rating: left.rating }).toEqual({
        status: 'closed',
        customerId: null,
        customerName: null,
        customerEmail: null,
        metadata: null,
        rating: null,
      });
      expect(await listMessages(url, admin.token, id)).toEqual([]);
    }
    expect((await request(url).get(file?.url ?? '/missing')).status).toBe(404);

    // A chat without a customer id is erased alone ("Erase this chat"), closed first; nothing to export.
    const nora = await createSession(url, { customerName: 'Nora Noid', customerEmail: 'nora@example.com', message: 'No id, just a question' });
    await page.goto(`${url}/console?session=${nora.session.id}`);
    await page.getByRole('tab', { name: /Nora Noid/, selected: true }).waitFor();
    await expectText(panel.locator('.customer-data p'), 'This chat only: it has no customer id.');
    expect(await panel.getByRole('button', { name: 'Export data' }).count()).toBe(0);
    await panel.getByRole('button', { name: 'Erase this chat' }).click();
    const one = page.getByRole('alertdialog', { name: 'Erase this chat?' });
    await expectText(one.locator('p'), /^Erase this chat with Nora Noid: every message \(notes too\), .* It is still open: it will be closed first\. .*This cannot be undone\.$/);
    await one.getByRole('button', { name: 'Erase this chat' }).click();
    await expectText(page.locator('.toast'), /^Erased 1 chat: \d+ messages?, no files\.$/);
    await expectText(page.locator('#conversation-title'), 'Visitor');
    expect(await search('Nora')).toEqual([]);

    // The audit log, newest first, in words: the erasures and exports (this test's own API exports too), then a page
    // further on the labels, Olga's account and Ada's own (made by the system).
    const total = LABELS + 7;
    expect(await getData<AuditEntryDTO[]>(url, admin.token, '/api/audit?limit=100')).toHaveLength(total);
    await screen(page, 'Audit log').click();
    const log = page.getByRole('region', { name: 'Audit log' });
    const row = (n: number): Promise<string[]> => log.locator('tbody tr').nth(n).locator('td').allTextContents();
    await expectText(log.locator('p[role="status"]'), '50 entries, more below');
    expect(await log.locator('tbody tr').count()).toBe(50);
    expect(await row(0)).toEqual(['Ada Admin', 'Erased a chat', `Chat ${nora.session.id}`, expect.stringMatching(/^1 chat: \d+ messages?, no files$/)]);
    expect(await row(1)).toEqual(['Ada Admin', "Exported a customer's data", `Customer ${CUSTOMER}`, 'no chats']);
    expect(await row(2)).toEqual(['Ada Admin', "Erased a customer's data", `Customer ${CUSTOMER}`, `2 chats: ${erased.messages} messages, 1 file`]);
    expect(await row(3)).toEqual(['Ada Admin', "Exported a customer's data", `Customer ${CUSTOMER}`, '2 chats']);
    expect(await row(4)).toEqual(['Ada Admin', "Exported a customer's data", `Customer ${CUSTOMER}`, '2 chats']);
    expect(await row(5)).toEqual(['Ada Admin', 'Added a label', `Label topic-${LABELS}`, '—']);
    expect(await seriousViolations(page)).toEqual([]);
    await shot(page, 'audit-log');
    await log.getByRole('button', { name: 'Load more' }).click();
    await expectText(log.locator('p[role="status"]'), `${total} entries`);
    expect(await log.locator('tbody tr').count()).toBe(total);
    expect(await row(total - 3)).toEqual(['Ada Admin', 'Added a label', 'Label topic-1', '—']);
    expect(await row(total - 2)).toEqual(['Ada Admin', 'Added an operator', 'Olga Operator', '—']);
    expect(await row(total - 1)).toEqual(['The system', 'Added an operator', 'Ada Admin', '—']);
    expect(await log.getByRole('button', { name: 'Load more' }).isHidden()).toBe(true);

    // An operator: no export or erase beside a customer, no audit log, and the server refuses them all.
    const olgaPage = await stage.openConsole(olga.email);
    const olgaProblems = watch(olgaPage);
    expect(await olgaPage.getByRole('navigation', { name: 'Console screens' }).getByRole('button').allTextContents()).toEqual(['Chats', 'History', 'My account']);
    await olgaPage.goto(`${url}/console?session=${other.session.id}`);
    const olgaPanel = olgaPage.getByRole('complementary', { name: 'Customer' });
    await expectText(olgaPanel.locator('dd').nth(2), 'c-7');
    expect(await olgaPanel.getByRole('button').filter({ hasText: /Export|Erase/ }).count()).toBe(0);
    expect(await olgaPanel.getByText('Their data').count()).toBe(0);
    await shot(olgaPage, 'operator-panel');
    for (const [method, path] of [
      ['get', '/api/users/c-7/export'],
      ['delete', '/api/users/c-7'],
      ['delete', `/api/chat/sessions/${other.session.id}`],
      ['get', '/api/audit'],
    ] as const) {
      expect({ path, status: (await request(url)[method](path).set(bearer(olga.token))).status }).toEqual({ path, status: 403 });
    }
    expect((await search(WORD)).map((r) => r.session.id)).toEqual([other.session.id]);

    expect(problems.errors).toEqual([]);
    expect(olgaProblems.errors).toEqual([]);
  }, 180_000);
});
