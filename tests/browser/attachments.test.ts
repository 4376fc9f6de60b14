import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { availableBackends, sqliteBackend, type Backend } from '../helpers/backends';
import { createAdmin, createOperator, PASSWORD, type Staff } from '../helpers/api';
import { chromiumAvailable, expectText, freshContext, launchBrowser, screenshots, watch, type PageProblems } from '../helpers/browser';
import { exe, pdf, smallPng, tempDir } from '../helpers/files';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { waitFor } from '../helpers/wait';

/**
 * Files in a chat as the two people see them, in Debian's chromium: the customer pastes a screenshot into the
 * widget, the operator sees its thumbnail in the console and opens it full size, then sends a PDF back that the
 * customer downloads; a file that is not accepted is refused in the bubble with the reason. The same journey
 * with each store: the database (SQLite, and MariaDB when it is there) and a directory.
 */

const LIMIT = 300 * 1024;
const setups: Array<{ name: string; backend: Backend; storage: 'database' | 'disk' }> = [
  ...availableBackends().map((backend) => ({ name: `${backend.name}, database store`, backend, storage: 'database' as const })),
  { name: 'sqlite, disk store', backend: sqliteBackend, storage: 'disk' },
];

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('browser: files and images in a chat', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const setup of setups) {
    describe(setup.name, () => {
      let server: TestServer;
      let admin: Staff;
      beforeEach(async () => {
        const env: Record<string, string> = { OPERATOR_PRESENCE_GRACE_SECONDS: '3600', MAX_UPLOAD_BYTES: String(LIMIT), ATTACHMENT_STORAGE: setup.storage };
        if (setup.storage === 'disk') env.ATTACHMENT_DIR = tempDir();
        server = await startTestServer(setup.backend, { env });
        admin = await createAdmin(server);
      });
      afterEach(async () => {
        for (const context of browser?.contexts() ?? []) await context.close();
        await server?.close();
      });

      it('a pasted screenshot shows as a thumbnail that opens full size; a PDF sent back downloads; a refused file says why', async () => {
        const shot = screenshots(`attachments-${setup.name.replace(/\W+/g, '-')}`);
        const olga = await createOperator(server.url, admin.token, { name: 'Olga Operator' });
        const operator = await (await freshContext(browser)).newPage();
        const customerContext = await freshContext(browser, { acceptDownloads: true });
        const customer = await customerContext.newPage();
        const problems: PageProblems[] = [watch(customer), watch(operator)];

        await operator.goto(`${server.url}/console`);
        await operator.getByLabel('Email').fill(olga.email);
        await operator.getByLabel('Password').fill(PASSWORD);
        await operator.getByRole('button', { name: 'Log in' }).click();
        await operator.getByLabel('My status').selectOption('online');
        // Online for the server too before the customer comes, so the chat goes straight to her.
        await waitFor(async () => (await request(server.url).get('/api/chat/availability')).body.data.availableOperators === 1, 10_000, 'Olga to be available');

        await customer.goto(`${server.url}/`);
        await customer.getByRole('button', { name: 'Chat with us' }).click();
        await customer.getByLabel('Name', { exact: true }).fill('Carla Customer');
        await customer.getByLabel('Email', { exact: true }).fill('carla@example.com');
        await customer.getByRole('button', { name: 'Start chat' }).click();
        await operator.getByRole('tab', { name: /Carla Customer/ }).waitFor();

        // The customer pastes a screenshot into the message box, as after pressing PrtSc.
        const screenshot = await smallPng(640, 400);
        await paste(customer, 'screenshot.png', 'image/png', screenshot);
        await loaded(customer.locator('.msg-own img.msg-thumb'));
        await shot(customer, 'customer-pasted-screenshot');

        // The operator sees it as a thumbnail, under the customer's name, and opens it full size.
        const thumb = operator.locator('.msg-other img.msg-thumb');
        await loaded(thumb);
        expect(await thumb.getAttribute('alt')).toBe('screenshot.png');
        await shot(operator, 'operator-sees-thumbnail');
        const [full] = await Promise.all([operator.context().waitForEvent('page'), thumb.click()]);
        const response = await full.waitForResponse((res) => res.url().includes('/api/chat/attachments/'), { timeout: 10_000 }).catch(() => null);
        await full.waitForLoadState();
        expect(full.url()).toMatch(/\/api\/chat\/attachments\/[0-9a-f-]{36}\?exp=\d+&sig=/);
        expect(response === null || response.headers()['content-type'] === 'image/png').toBe(true);
        expect(await full.evaluate<number>('document.images[0] ? document.images[0].naturalWidth : 0')).toBe(640);
        await shot(full, 'operator-opens-full-size');
        await full.close();

        // The operator sends a PDF back with the Attach button.
        const invoice = pdf('Invoice for Carla');
        await operator.locator('input.composer-file').setInputFiles({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: invoice });
        await expectText(operator.locator('.msg-own a.msg-file .msg-file-name'), 'invoice.pdf');
        await shot(operator, 'operator-sent-pdf');

        // The customer sees it by name and size, and downloads it.
        const link = customer.locator('.msg-other a.msg-file');
        await expectText(link.locator('.msg-file-name'), 'invoice.pdf');
        expect(invoice.length).toBeLessThan(1024);
        await expectText(link.locator('.msg-file-size'), `${invoice.length} B`);
        await shot(customer, 'customer-sees-pdf');
        const [download] = await Promise.all([customer.waitForEvent('download'), link.click()]);
        expect(download.suggestedFilename()).toBe('invoice.pdf');
        expect(Buffer.compare(await readFile(await download.path()), invoice)).toBe(0);

        // A program renamed to look like an image, and a file over the limit: each refused, with the reason.
        await customer.locator('input.composer-file').setInputFiles({ name: 'cute-cat.png', mimeType: 'image/png', buffer: exe() });
        await expectText(customer.locator('.msg-failed .msg-refusal').first(), /^This file cannot be sent: this type of file is not accepted/);
        await customer.locator('input.composer-file').setInputFiles({ name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(LIMIT * 3, 'a') });
        await expectText(customer.locator('.msg-failed .msg-refusal').nth(1), /^(This file is too large to send\.|The file could not be sent: it may be too large, or the connection dropped\.)$/);
        await shot(customer, 'customer-refused-files');
        // Nothing of the refused files reached the operator.
        expect(await operator.locator('.msg-other a.msg-file').count()).toBe(0);

        for (const problem of problems) expect(problem.errors.filter((e) => !/status of 4\d\d|ERR_CONNECTION_RESET|ERR_CONNECTION_ABORTED/.test(e))).toEqual([]);
      }, 150_000);
    });
  }
});

/** A paste of one file into the widget's message box (inside its shadow root), as the clipboard hands a screenshot over. */
async function paste(page: Page, name: string, type: string, bytes: Buffer): Promise<void> {
  // The chat's own message box, beside the attach button: until the chat is drawn, the start form's message box
  // (which takes no files) is the one there, and a paste into it would be lost.
  const box = `document.querySelector('.livechat-widget')?.shadowRoot?.querySelector('form:has(button.attach) textarea[name="message"]')`;
  await page.waitForFunction(`${box} !== null`, undefined, { timeout: 30_000 });
  await page.evaluate(
    `(() => {
      const box = ${box};
      const data = new DataTransfer();
      data.items.add(new File([Uint8Array.from(${JSON.stringify([...bytes])})], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
      box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    })()`,
  );
}

/** Waits until an image has loaded (a broken link never does); an upload and its re-encoding may take a while on a busy machine. */
async function loaded(image: ReturnType<Page['locator']>): Promise<void> {
  await image.first().waitFor({ timeout: 60_000 });
  await waitFor(async () => (await image.first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) > 0, 10_000, 'the image to load');
}
