import request from 'supertest';
import type { Browser } from 'playwright-core';
import { availableBackends, type ProvisionedBackend } from '../helpers/backends';
import { mysqlTarget } from '../helpers/realBackends';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { bearer, createAdmin, createSession, type Staff } from '../helpers/api';
import { chromiumAvailable, expectText, freshContext, launchBrowser, watch, widgetSessionId } from '../helpers/browser';
import { call, cmid, closeAllSockets, connectCustomer, connectError, connectOperator, connectedOperator } from '../helpers/sockets';
import { sleep } from '../helpers/wait';

/**
 * The database goes away under a running server (MariaDB behind a TCP relay the test cuts): callers are told
 * the service is unavailable, never that their token is bad, and the same tokens work once it is back.
 */

const backend = availableBackends().find((b) => b.name === 'mariadb+redis');
const describeReal = backend ? describe : describe.skip;
const itInBrowser = chromiumAvailable() ? it : it.skip;

describeReal('database outage [mariadb+redis]', () => {
  let proxy: TcpProxy;
  let provisioned: ProvisionedBackend;
  let server: TestServer;
  let admin: Staff;
  let browser: Browser | undefined;

  beforeEach(async () => {
    proxy = await startTcpProxy({ host: mysqlTarget.host, port: mysqlTarget.port });
    provisioned = await (backend as NonNullable<typeof backend>).provision();
    server = await startTestServer(backend as NonNullable<typeof backend>, { provisioned, env: { DB_HOST: '127.0.0.1', DB_PORT: String(proxy.port) } });
    admin = await createAdmin(server);
  });

  afterEach(async () => {
    await browser?.close();
    browser = undefined;
    closeAllSockets();
    await proxy.restore().catch(() => undefined);
    await server.close();
    await provisioned.dispose();
    await proxy.close();
  });

  it('REST answers 503 SERVICE_UNAVAILABLE, a socket handshake fails with SERVICE_UNAVAILABLE, not UNAUTHENTICATED; both work again after', async () => {
    const customer = await createSession(server.url);
    await proxy.cut();

    const rest = await request(server.url).get(`/api/chat/sessions/${customer.session.id}`).set(bearer(admin.token));
    expect(rest.status).toBe(503);
    expect(rest.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(await connectError(server.url, '/operator', { token: admin.token })).toBe('SERVICE_UNAVAILABLE');
    expect(await connectError(server.url, '/customer', { token: customer.customerToken })).toBe('SERVICE_UNAVAILABLE');

    await proxy.restore();
    const operator = await connectOperator(server.url, admin.token);
    const customerSocket = await connectCustomer(server.url, customer.customerToken);
    const sent = await call<{ id: number }>(customerSocket, 'message:send', { content: 'still there?', clientMessageId: cmid() });
    expect(sent.id).toEqual(expect.any(Number));
    expect(operator.connected).toBe(true);
  });

  it('a request caught mid-query by the outage is answered 503 SERVICE_UNAVAILABLE too', async () => {
    const customer = await createSession(server.url);
    proxy.hold();
    const pending = request(server.url).get(`/api/chat/sessions/${customer.session.id}`).set(bearer(admin.token)).then((res) => res);
    await sleep(300);
    await proxy.cut();
    const res = await pending;
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
  });

  itInBrowser('the widget keeps its chat through the outage and reconnects by itself once the database is back', async () => {
    browser = await launchBrowser();
    const olga = await connectedOperator(server.url, admin.token, { name: 'Olga Operator', status: 'online' });
    const page = await (await freshContext(browser)).newPage();
    const problems = watch(page);
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Carla Customer');
    await page.getByLabel('Email', { exact: true }).fill('carla@example.com');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await expectText(page.locator('.lc-status'), "You're chatting with Olga Operator.");
    const sessionId = await widgetSessionId(page, server.url);

    // The database goes away and the widget's connection drops with it: its reconnects are refused meanwhile.
    await proxy.cut();
    server.server.realtime.customers.disconnectSockets(true);
    await page.locator('.lc-connection').waitFor({ state: 'visible' });
    await sleep(3_000);
    expect(await widgetSessionId(page, server.url)).toBe(sessionId);

    await proxy.restore();
    await page.locator('.lc-connection').waitFor({ state: 'hidden' });
    await call(olga.socket, 'message:send', { sessionId, content: 'Sorry for the wait, I am here.', clientMessageId: cmid() });
    await expectText(page.locator('.msg-other .msg-text'), 'Sorry for the wait, I am here.');
    await expectText(page.locator('.lc-status'), "You're chatting with Olga Operator.");
    // Requests the page made during the outage were answered 503, as they should be; nothing else went wrong.
    expect(problems.errors.filter((error) => !/status of 503 \(Service Unavailable\)/.test(error))).toEqual([]);
  }, 60_000);
});
