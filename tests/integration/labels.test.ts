import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { liveChat, onlineOperator, serverPerTest } from '../helpers/scenarios';
import { bearer, closeSession, createSession, expectError, getData, type SessionBody } from '../helpers/api';
import { connectedOperator, eventsOf, expectNoEvent, nextEvent } from '../helpers/sockets';

/**
 * Labels (PROTOCOL.md "Labels"): admins define them, a session's operator (or an admin) puts them on it, every
 * operator hears of it and can filter the history by one; customers never see them.
 */
describeEachBackend('labels', (backend) => {
  const stage = serverPerTest(backend);
  const define = (token: string, body: Record<string, unknown>) => request(stage.url).post('/api/labels').set(bearer(token)).send(body);
  const label = (token: string, sessionId: string, labels: unknown) => request(stage.url).put(`/api/chat/sessions/${sessionId}/labels`).set(bearer(token)).send({ labels });

  it('admins define them; names are checked and unique', async () => {
    const { url, admin } = stage;
    const ann = await onlineOperator(url, admin.token, { name: 'Ann' });
    expect((await define(admin.token, { name: 'billing', color: '#FF8800' })).body.data).toEqual({ name: 'billing', color: '#ff8800' });
    expect((await define(admin.token, { name: 'vip' })).status).toBe(201);
    expectError(await define(admin.token, { name: 'billing' }), 409, 'CONFLICT');
    for (const name of ['Billing', 'two words', '', 'x'.repeat(33), 'a_b', 7]) expectError(await define(admin.token, { name }), 400, 'VALIDATION_ERROR');
    expectError(await define(admin.token, { name: 'red', color: 'red' }), 400, 'VALIDATION_ERROR');
    expectError(await define(ann.token, { name: 'mine' }), 403, 'FORBIDDEN');
    expect(await getData(url, ann.token, '/api/labels')).toEqual([
      { name: 'billing', color: '#ff8800' },
      { name: 'vip', color: null },
    ]);
  });

  it('the assigned operator labels a chat; every operator hears it, the customer never sees it', async () => {
    const { url, admin } = stage;
    for (const name of ['billing', 'vip', 'refund']) await define(admin.token, { name });
    const { op: ann, customer } = await liveChat(url, admin.token, { operator: { name: 'Ann' } });
    const ben = await connectedOperator(url, admin.token, { name: 'Ben' });
    const id = customer.session.id;

    const answer = await label(ann.token, id, ['vip', 'billing', 'vip']);
    expect(answer.status).toBe(200);
    expect(answer.body.data.labels).toEqual(['billing', 'vip']);
    for (const socket of [ann.socket, ben.socket]) {
      const told = await nextEvent<{ session: SessionBody }>(socket, 'session:updated', undefined, (p) => p.session.id === id);
      expect(told.session.labels).toEqual(['billing', 'vip']);
    }
    await expectNoEvent(customer.socket, 'session:updated', 300);
    expect((await getData<SessionBody>(url, customer.customerToken, `/api/chat/sessions/${id}`)).labels).toEqual([]);
    expect((await getData<SessionBody>(url, ben.token, `/api/chat/sessions/${id}`)).labels).toEqual(['billing', 'vip']);

    // Ben is not assigned; an admin is; a closed session can still be labelled; a customer cannot.
    expectError(await label(ben.token, id, ['refund']), 403, 'FORBIDDEN');
    expectError(await label(customer.customerToken, id, ['refund']), 403, 'FORBIDDEN');
    const closed = await closeSession(url, ann.token, id);
    expect(closed.labels).toEqual(['billing', 'vip']);
    const closedForCustomer = await nextEvent<{ session: SessionBody }>(customer.socket, 'session:closed');
    expect(closedForCustomer.session.labels).toEqual([]);
    expect((await label(admin.token, id, ['refund'])).body.data.labels).toEqual(['refund']);
    expect((await label(ann.token, id, [])).body.data.labels).toEqual([]);

    const trail = await getData<Array<{ type: string; detail: unknown }>>(url, admin.token, `/api/chat/sessions/${id}/events`);
    expect(trail.filter((e) => e.type === 'labelled').map((e) => e.detail)).toEqual([{ labels: ['billing', 'vip'] }, { labels: ['refund'] }, { labels: [] }]);
  });

  it('refuses more than 20, unknown names, bad shapes and unknown sessions, and changes nothing', async () => {
    const { url, admin } = stage;
    await define(admin.token, { name: 'billing' });
    const { op: ann, customer } = await liveChat(url, admin.token);
    const id = customer.session.id;
    await label(ann.token, id, ['billing']);
    const names = Array.from({ length: 21 }, (_, i) => `l-${i}`);
    for (const name of names) await define(admin.token, { name });
    expectError(await label(ann.token, id, names), 400, 'VALIDATION_ERROR');
    const unknown = await label(ann.token, id, ['billing', 'nope']);
    expectError(unknown, 400, 'VALIDATION_ERROR');
    expect(unknown.body.error.details).toEqual([expect.objectContaining({ field: 'labels', message: 'no such label: nope' })]);
    for (const bad of ['billing', [7], ['Billing'], null, {}]) expectError(await label(ann.token, id, bad), 400, 'VALIDATION_ERROR');
    expectError(await label(ann.token, '00000000-0000-4000-8000-000000000000', ['billing']), 404, 'NOT_FOUND');
    // One label named 25 times is one label; the same labels again tell nobody and record nothing.
    const watcher = await connectedOperator(url, admin.token, { name: 'Watcher' });
    expect((await label(ann.token, id, Array.from({ length: 25 }, () => 'billing'))).body.data.labels).toEqual(['billing']);
    await expectNoEvent(watcher.socket, 'session:updated', 300);
    const trail = await getData<Array<{ type: string }>>(url, admin.token, `/api/chat/sessions/${id}/events`);
    expect(trail.filter((e) => e.type === 'labelled')).toHaveLength(1);
    expect((await getData<SessionBody>(url, ann.token, `/api/chat/sessions/${id}`)).labels).toEqual(['billing']);
    expect(eventsOf(customer.socket, 'session:updated')).toEqual([]);
  });

  it('the history filters by label; deleting a label takes it off every session', async () => {
    const { url, admin } = stage;
    for (const name of ['billing', 'vip']) await define(admin.token, { name });
    const ann = await onlineOperator(url, admin.token, { name: 'Ann', maxConcurrentSessions: 5 });
    const first = await createSession(url, { customerName: 'First' });
    const second = await createSession(url, { customerName: 'Second' });
    await createSession(url, { customerName: 'Third' });
    await label(ann.token, first.session.id, ['billing', 'vip']);
    await label(ann.token, second.session.id, ['billing']);

    const byLabel = async (name: string) => (await getData<SessionBody[]>(url, ann.token, `/api/chat/sessions/history?label=${name}`)).map((s) => s.customerName).sort();
    expect(await byLabel('billing')).toEqual(['First', 'Second']);
    expect(await byLabel('vip')).toEqual(['First']);
    expectError(await request(url).get('/api/chat/sessions/history?label=Not%20A%20Label').set(bearer(ann.token)), 400, 'VALIDATION_ERROR');

    const watcher = await connectedOperator(url, admin.token, { name: 'Watcher' });
    expectError(await request(url).delete('/api/labels/billing').set(bearer(ann.token)), 403, 'FORBIDDEN');
    expect((await request(url).delete('/api/labels/billing').set(bearer(admin.token))).body.data).toEqual({ name: 'billing', color: null });
    const told = await nextEvent<{ session: SessionBody }>(watcher.socket, 'session:updated', undefined, (p) => p.session.id === first.session.id);
    expect(told.session.labels).toEqual(['vip']);
    expect((await getData<SessionBody>(url, ann.token, `/api/chat/sessions/${second.session.id}`)).labels).toEqual([]);
    expect(await byLabel('billing')).toEqual([]);
    expect(await getData(url, ann.token, '/api/labels')).toEqual([{ name: 'vip', color: null }]);
    expectError(await request(url).delete('/api/labels/billing').set(bearer(admin.token)), 404, 'NOT_FOUND');
  });
});
