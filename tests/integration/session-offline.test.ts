import { describeEachBackend } from '../helpers/backends';
import { serverPerTest } from '../helpers/scenarios';
import { createOperator, createSession, getSession, setStatus } from '../helpers/api';

/**
 * Session.offline (PROTOCOL.md): true for a session created while no operator was online (the "leave a message"
 * path), and it stays true after an operator picks the session up, so those chats can be found later.
 */
describeEachBackend('a session created while nobody is online', (backend) => {
  let url: string;
  let adminToken: string;
  serverPerTest(backend, {}, (stage) => {
    url = stage.url;
    adminToken = stage.admin.token;
  });

  it('is marked offline, and stays so once picked up; one created while someone is online is not', async () => {
    const left = await createSession(url, { customerName: 'Late Larry', message: 'Call me back please' });
    expect(left.session).toMatchObject({ status: 'waiting', offline: true, labels: [] });
    const ann = await createOperator(url, adminToken, { name: 'Ann Archer' });
    await setStatus(url, ann.token, ann.id, 'online');
    expect(await getSession(url, ann.token, left.session.id)).toMatchObject({ status: 'active', operatorId: ann.id, offline: true });
    const live = await createSession(url, { customerName: 'Daytime Dora' });
    expect(live.session).toMatchObject({ status: 'active', operatorId: ann.id, offline: false });
  });
});
