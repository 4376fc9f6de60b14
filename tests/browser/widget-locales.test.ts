import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { chromiumAvailable, expectText, freshContext, screenshots, watch, widgetSessionId, type PageProblems } from '../helpers/browser';
import { browserStage } from '../helpers/browserStage';
import { call, cmid, connectedOperator, type ConnectedOperator } from '../helpers/sockets';

/**
 * The widget in the visitor's language, in Debian's chromium: French from the tag's data-locale (at phone size)
 * or from the browser's own language, Arabic right to left; the operator's initials; the rating below a
 * conversation that keeps its room; the launcher out of the way while the panel is open; and the name and email
 * of the last chat filled in for the next one.
 */

const PHONE = { width: 375, height: 700 };
/** A short laptop screen: the panel is 500 px tall, where a rating form used to squeeze the conversation. */
const SHORT_LAPTOP = { width: 1280, height: 540 };
/** French typography: a no-break space before "?", ":" and "!". */
const NBSP = '\u00a0';

const describeBrowser = chromiumAvailable() ? describe : describe.skip;

describeBrowser('browser: the widget in French and Arabic', () => {
  // Manual routing: each chat waits in the queue (its position shown) until Dana takes it.
  const env: Record<string, string> = { OPERATOR_PRESENCE_GRACE_SECONDS: '3600', ASSIGNMENT_STRATEGY: 'manual' };
  let site: http.Server;
  let siteUrl = '';
  // Registered before the stage's own beforeAll, so its server starts with the site's origin allowed.
  beforeAll(async () => {
    site = embeddingSite(() => stage.server.url);
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    env.CORS_ORIGINS = siteUrl;
  });
  afterAll(async () => {
    await new Promise((resolve) => site?.close(resolve));
  });
  const stage = browserStage(env);
  let dana: ConnectedOperator;
  let problems: PageProblems[];

  beforeAll(async () => {
    // Online, so the widget offers a chat rather than the "leave a message" form.
    dana = await connectedOperator(stage.server.url, stage.admin.token, { name: 'Dana Adams', status: 'online' });
  });
  beforeEach(() => {
    problems = [];
  });
  afterEach(async () => {
    for (const context of stage.browser.contexts()) await context.close();
    expect(problems.flatMap((p) => p.errors)).toEqual([]);
  });

  /** A page of its own, watched for errors. */
  async function customerPage(options: Parameters<typeof freshContext>[1] = {}): Promise<Page> {
    const page = await (await freshContext(stage.browser, options)).newPage();
    problems.push(watch(page));
    return page;
  }

  /** Dana takes the waiting chat and writes in it, as from her console. */
  async function danaAnswers(page: Page, content: string): Promise<void> {
    const sessionId = await widgetSessionId(page, stage.server.url);
    await call(dana.socket, 'session:join', { sessionId });
    await call(dana.socket, 'message:send', { sessionId, content, clientMessageId: cmid() });
  }

  it('data-locale="fr" at phone size: the form, the queue position, Dana\'s initials, and the rating below a conversation that keeps its room', async () => {
    const shot = screenshots('widget-locale-fr-phone');
    const page = await customerPage({ viewport: PHONE });
    await page.goto(`${siteUrl}/?locale=fr`);

    await page.getByRole('button', { name: 'Discuter avec nous' }).click();
    await expectText(page.locator('.lc-form-title'), 'Démarrer une conversation');
    await expectText(page.locator('.lc-intro'), 'Dites-nous qui vous êtes et un conseiller vous répondra sous peu.');
    await page.getByLabel('Nom', { exact: true }).fill('Camille Client');
    await page.getByLabel('E-mail', { exact: true }).fill('camille@example.com');
    await page.getByLabel(`Comment pouvons-nous vous aider${NBSP}? (facultatif)`).fill('Ma commande est en retard');
    await shot(page, 'start-form');
    await page.getByRole('button', { name: 'Démarrer la conversation' }).click();

    await expectText(page.locator('.lc-status'), new RegExp(`^Vous êtes en position 1 dans la file d'attente\\.( Attente estimée${NBSP}: .+\\.)?$`));
    await expectText(page.locator('.msg-own .msg-text'), 'Ma commande est en retard');
    await page.getByRole('button', { name: 'Terminer' }).waitFor();
    await shot(page, 'queued');

    await danaAnswers(page, 'Bonjour Camille, je regarde cela.');
    await expectText(page.locator('.lc-status'), 'Vous discutez avec Dana Adams.');
    await expectText(page.locator('.lc-header .lc-avatar'), 'DA');
    await expectText(page.locator('.msg-other .lc-avatar'), 'DA');
    await expectText(page.locator('.msg-other .msg-text'), 'Bonjour Camille, je regarde cela.');
    await shot(page, 'chatting-with-dana');

    await page.getByRole('button', { name: 'Terminer' }).click();
    await expectText(page.locator('.lc-status'), 'Cette conversation est terminée.');
    await page.getByRole('group', { name: `Comment s'est passée cette conversation${NBSP}?` }).waitFor();
    await conversationKeepsItsRoom(page);
    await shot(page, 'rating');
    await page.getByRole('radio', { name: '4 étoiles' }).check();
    await page.getByRole('button', { name: 'Envoyer la note' }).click();
    await expectText(page.locator('.lc-thanks'), `Merci pour votre avis${NBSP}!`);
    await shot(page, 'rated');
  }, 90_000);

  it('data-locale="ar": the widget is right to left and in Arabic, mirrored to the other corner', async () => {
    const shot = screenshots('widget-locale-ar');
    const page = await customerPage();
    await page.goto(`${siteUrl}/?locale=ar`);

    const root = page.locator('.lc-root');
    expect(await root.getAttribute('dir')).toBe('rtl');
    expect(await root.getAttribute('lang')).toBe('ar');
    await page.getByRole('button', { name: 'تحدّث معنا' }).click();
    await expectText(page.locator('.lc-form-title'), 'ابدأ محادثة');
    // Mirrored: the panel sits in the bottom-left corner, not the right.
    const panel = await page.locator('.lc-panel').boundingBox();
    expect(panel && panel.x < 1200 / 2).toBe(true);
    await page.getByLabel('الاسم', { exact: true }).fill('ليلى أحمد');
    await page.getByLabel('البريد الإلكتروني', { exact: true }).fill('layla@example.com');
    await shot(page, 'start-form');
    await page.getByRole('button', { name: 'ابدأ المحادثة' }).click();
    await expectText(page.locator('.lc-status'), /^ترتيبك في قائمة الانتظار: 1\./);

    await page.getByRole('textbox', { name: 'الرسالة', exact: true }).fill('مرحبا');
    await page.getByRole('button', { name: 'إرسال', exact: true }).click();
    await expectText(page.locator('.msg-own .msg-text'), 'مرحبا');
    await danaAnswers(page, 'أهلا ليلى');
    await expectText(page.locator('.lc-status'), 'أنت تتحدّث مع Dana Adams.');
    // Own messages on the left, the operator's on the right.
    const own = await page.locator('.msg-own').boundingBox();
    const other = await page.locator('.msg-other').boundingBox();
    expect(own && other && own.x < other.x).toBe(true);
    await shot(page, 'conversation');
    await page.getByRole('button', { name: 'إنهاء المحادثة' }).click();
    await expectText(page.locator('.lc-status'), 'انتهت هذه المحادثة.');
  }, 90_000);

  it('no data-locale, a browser in fr-FR: the widget speaks French', async () => {
    const page = await customerPage({ locale: 'fr-FR' });
    await page.goto(`${stage.server.url}/`);
    await page.getByRole('button', { name: 'Discuter avec nous' }).click();
    await expectText(page.locator('.lc-form-title'), 'Démarrer une conversation');
    expect(await page.locator('.lc-root').getAttribute('lang')).toBe('fr');
    await page.getByLabel('Nom', { exact: true }).waitFor();
    await screenshots('widget-locale-browser-fr')(page, 'start-form');
  }, 60_000);

  it('the name and email of a closed chat fill in the next chat, after it and on a later visit; the rating leaves the conversation its room', async () => {
    const { url } = stage.server;
    const shot = screenshots('widget-remembers-customer');
    const page = await customerPage({ viewport: SHORT_LAPTOP });
    await page.goto(`${url}/`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('');
    await page.getByLabel('Name', { exact: true }).fill('Rita Return');
    await page.getByLabel('Email', { exact: true }).fill('rita@example.com');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await expectText(page.locator('.lc-status'), /^You are number 1 in the queue\./);
    await page.getByRole('button', { name: 'End chat' }).click();
    await expectText(page.locator('.lc-status'), 'This chat has ended.');
    await conversationKeepsItsRoom(page);
    await shot(page, 'closed');

    await page.getByRole('button', { name: 'Start a new chat' }).click();
    await expectText(page.locator('.lc-form-title'), 'Start a chat');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Rita Return');
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe('rita@example.com');
    // Both known: the cursor waits in the message box.
    expect(await focusedInWidget(page)).toBe('message');
    await shot(page, 'next-chat-filled-in');

    // A later visit, another page of the site: the same.
    const later = await page.context().newPage();
    problems.push(watch(later));
    await later.goto(`${url}/`);
    await later.getByRole('button', { name: 'Chat with us' }).click();
    expect(await later.getByLabel('Name', { exact: true }).inputValue()).toBe('Rita Return');
    expect(await later.getByLabel('Email', { exact: true }).inputValue()).toBe('rita@example.com');
    await shot(later, 'later-visit-filled-in');
  }, 60_000);

  it('the launcher is hidden while the panel is open and comes back, focused, when it is minimised', async () => {
    const page = await customerPage();
    await page.goto(`${stage.server.url}/`);
    const launcher = page.getByRole('button', { name: 'Chat with us' });
    await launcher.click();
    await page.getByRole('dialog', { name: 'Live chat' }).waitFor();
    await launcher.waitFor({ state: 'hidden' });
    await screenshots('widget-launcher')(page, 'panel-open');
    await page.getByRole('button', { name: 'Minimize chat' }).click();
    await page.getByRole('dialog', { name: 'Live chat' }).waitFor({ state: 'hidden' });
    await launcher.waitFor();
    expect(await focusedInWidget(page)).toBe('lc-launcher');
  }, 60_000);
});

/**
 * Another site embedding the widget with one tag, its `data-locale` from the page's `?locale=`. A real server
 * rather than the demo page rewritten by page.route: Chrome's local network checks refuse a fulfilled page's
 * WebSocket to 127.0.0.1.
 */
function embeddingSite(serverUrl: () => string): http.Server {
  return http.createServer((req, res) => {
    const locale = new URL(req.url ?? '/', 'http://site').searchParams.get('locale') ?? '';
    // Letters and hyphens only: the value goes into the page's markup.
    const attribute = /^[A-Za-z-]+$/.test(locale) ? ` data-locale="${locale}"` : '';
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>Another site</title></head>` +
        `<body><h1>Another site</h1><script src="${serverUrl()}/widget.js"${attribute} defer></script></body></html>`,
    );
  });
}

/** With the rating form below it, the conversation still shows a few messages' worth and comes first. */
async function conversationKeepsItsRoom(page: Page): Promise<void> {
  await page.locator('.lc-rating').waitFor();
  const list = await page.locator('.messages').boundingBox();
  const rating = await page.locator('.lc-rating').boundingBox();
  expect(list && list.height >= 200).toBe(true);
  expect(list && rating && rating.y >= list.y + list.height).toBe(true);
}

/** What has the focus inside the widget's shadow root: its name, or else its class (the node typecheck has no DOM, hence the string). */
function focusedInWidget(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(`(() => {
    const focused = document.querySelector('.livechat-widget')?.shadowRoot?.activeElement;
    return focused ? focused.getAttribute('name') || focused.className : null;
  })()`);
}
