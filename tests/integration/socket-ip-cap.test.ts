import { describeEachBackend } from '../helpers/backends';
import { createAdmin, createSession } from '../helpers/api';
import { call, closeAllSockets, connectCustomer, connectError, connectOperator, waitDisconnected } from '../helpers/sockets';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { waitFor } from '../helpers/wait';

/**
 * MAX_CONNECTIONS_PER_IP: one address holds at most that many Socket.IO connections. The next one is refused at
 * its handshake with connect_error RATE_LIMITED (never a silent close, which a client would take for a network
 * drop and retry forever), the ones already open carry on, and a freed place can be taken again.
 */
describeEachBackend('the per-address connection cap', (backend) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(backend, { env: { MAX_CONNECTIONS_PER_IP: '2' } });
  });
  afterEach(async () => {
    closeAllSockets();
    await server.close();
  });

  it('refuses the third connection with RATE_LIMITED, on either namespace, and takes one again once a place is free', async () => {
    const customer = await createSession(server.url);
    const admin = await createAdmin(server);
    const first = await connectCustomer(server.url, customer.customerToken);
    const second = await connectOperator(server.url, admin.token);
    expect(await connectError(server.url, '/customer', { token: customer.customerToken })).toBe('RATE_LIMITED');
    expect(await connectError(server.url, '/operator', { token: admin.token })).toBe('RATE_LIMITED');
    // Those already connected are untouched.
    expect(first.connected && second.connected).toBe(true);
    await call(first, 'messages:sync', { afterId: 0 });

    const gone = waitDisconnected(second);
    second.disconnect();
    await gone;
    const again = await waitFor(() => connectCustomer(server.url, customer.customerToken).catch(() => undefined), 5_000, 'a free place taken again');
    expect(again.connected).toBe(true);
  });
});
