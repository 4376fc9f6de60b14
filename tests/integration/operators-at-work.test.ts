import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, createSession, expectStatus, getData, getOperator, getSession, sendChecked, setStatus, type OperatorBody, type SessionBody, type Staff } from '../helpers/api';
import { assignedChat, operatorsOf, queueOf, serverPerTest } from '../helpers/scenarios';

/** Operators at work, as the operator console and an admin see them: who is online, available, busy, and the queue. */

const ids = (list: Array<{ id: number | string }>) => list.map((o) => o.id);

describeEachBackend('operators at work', (backend) => {
  // The lists read here are the server's whole lists: each test gets a server of its own.
  const stage = serverPerTest(backend);
  const get = <T = unknown>(path: string, token = stage.admin.token): Promise<T> => getData<T>(stage.url, token, path);
  /** Ann (2 seats), Ben (3), Cat (1) and Dora (2), created in that order, all offline. */
  const team = async (): Promise<Record<'ann' | 'ben' | 'cat' | 'dora', Staff>> => {
    const seats = { Ann: 2, Ben: 3, Cat: 1, Dora: 2 };
    const [ann, ben, cat, dora] = await operatorsOf(stage.url, stage.admin.token, Object.entries(seats).map(([name, maxConcurrentSessions]) => ({ name, maxConcurrentSessions, status: 'offline' })));
    return { ann: ann!, ben: ben!, cat: cat!, dora: dora! };
  };

  it('the list of all operators', async () => {
    const { ann, ben, cat, dora } = await team();
    const all = await get<OperatorBody[]>('/api/operators', ann.token);
    expect(ids(all)).toEqual([stage.admin.id, ann.id, ben.id, cat.id, dora.id]);
    expect(all.find((o) => o.id === ben.id)).toMatchObject({ name: 'Ben', email: ben.email, role: 'operator', status: 'offline', maxConcurrentSessions: 3, activeSessions: 0 });
  });

  it('PUT status: an operator sets their own (200); online and busy are "online", only online with a free seat is "available"', async () => {
    const { url, admin } = stage;
    const { ann, ben, cat } = await team();
    const res = await sendChecked(request(url).put(`/api/operators/${ann.id}/status`).set(bearer(ann.token)).send({ status: 'online' }));
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: ann.id, status: 'online' });
    await setStatus(url, ben.token, ben.id, 'online');
    await setStatus(url, cat.token, cat.id, 'busy');

    expect(ids(await get<OperatorBody[]>('/api/operators/online'))).toEqual([ann.id, ben.id, cat.id]);
    expect(ids(await get<OperatorBody[]>('/api/operators/available'))).toEqual([ann.id, ben.id]);
    expect(await getOperator(url, admin.token, cat.id)).toMatchObject({ status: 'busy' });
  });

  it('available: least loaded first; a full operator is left out', async () => {
    const { url, admin } = stage;
    const { ann, ben, cat } = await team();
    for (const [staff, status] of [[ann, 'online'], [ben, 'online'], [cat, 'busy']] as const) await setStatus(url, staff.token, staff.id, status);

    const first = await createSession(url);
    const second = await createSession(url);
    // Equal load goes to the one idle longest (Ann); then the lighter load relative to capacity (Ben).
    expect([first.session.operatorId, second.session.operatorId]).toEqual([ann.id, ben.id]);
    // Ann 1/2, Ben 1/3: Ben first.
    expect(ids(await get<OperatorBody[]>('/api/operators/available'))).toEqual([ben.id, ann.id]);
    const third = await createSession(url);
    const fourth = await createSession(url);
    expect([third.session.operatorId, fourth.session.operatorId]).toEqual([ben.id, ann.id]);
    // Ann 2/2 is full.
    const available = await get<OperatorBody[]>('/api/operators/available');
    expect(ids(available)).toEqual([ben.id]);
    expect(available[0]).toMatchObject({ activeSessions: 2, maxConcurrentSessions: 3 });
    // Each one the same Operator a client reads from GET /api/operators/:id.
    expect(available[0]).toEqual(await getOperator(url, admin.token, ben.id));
  });

  it('one operator, and their active sessions', async () => {
    const { url } = stage;
    const { ann, ben, dora } = await team();
    await setStatus(url, ann.token, ann.id, 'online');
    const chats = [await assignedChat(url, ann), await assignedChat(url, ann)];

    expect(await getOperator(url, ben.token, ann.id)).toMatchObject({ id: ann.id, name: 'Ann', activeSessions: 2, status: 'online' });
    const sessions = await get<SessionBody[]>(`/api/operators/${ann.id}/sessions`, ben.token);
    expect(sessions.map((s) => s.id).sort()).toEqual(chats.map((c) => c.session.id).sort());
    expect(sessions.every((s) => s.status === 'active' && s.operatorId === ann.id)).toBe(true);
    expect(await get(`/api/operators/${dora.id}/sessions`)).toEqual([]);
  });

  it('pending sessions: the waiting queue in arrival order', async () => {
    const { cat } = await team();
    const queued = await queueOf(stage.url, 3, { names: ['Q1', 'Q2', 'Q3'] });
    expect(queued.map((c) => c.session.status)).toEqual(['waiting', 'waiting', 'waiting']);
    const pending = await get<SessionBody[]>('/api/operators/pending-sessions', cat.token);
    expect(pending.map((s) => [s.customerName, s.queuePosition])).toEqual([
      ['Q1', 1],
      ['Q2', 2],
      ['Q3', 3],
    ]);
  });

  it('going online pulls waiting sessions at once, oldest first, up to the free seats', async () => {
    const { url } = stage;
    const { ben } = await team();
    // Ben holds two chats of his three seats, and is busy while three customers queue up.
    await setStatus(url, ben.token, ben.id, 'online');
    for (let i = 0; i < 2; i++) await assignedChat(url, ben);
    await setStatus(url, ben.token, ben.id, 'busy');
    const [q1] = await queueOf(url, 3, { names: ['Q1', 'Q2', 'Q3'] });

    const ready = await setStatus(url, ben.token, ben.id, 'online');
    // Ben had 2 of 3 seats taken: he gets exactly one, the oldest waiting (Q1), before the answer comes back.
    expect(ready).toMatchObject({ status: 'online', activeSessions: 3 });
    expect(await getSession(url, q1!.customerToken, q1!.session.id)).toMatchObject({ status: 'active', operatorId: ben.id });
    const pending = await get<SessionBody[]>('/api/operators/pending-sessions');
    expect(pending.map((s) => [s.customerName, s.queuePosition])).toEqual([
      ['Q2', 1],
      ['Q3', 2],
    ]);
  });
});
