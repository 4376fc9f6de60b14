import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, expectError, expectStatus, getOperator, getSession, listMessages, sendMessage, sessionEvents, type SessionBody, type Staff } from '../helpers/api';
import { assignedChat, onlineOperator, serverPerTest } from '../helpers/scenarios';

/** PUT /api/chat/sessions/:id/transfer: to another operator, or to a department through the queue. */

describeEachBackend('chat transfers', (backend) => {
  const stage = serverPerTest(backend);
  const activeSessionsOf = async (staff: Staff) => (await getOperator(stage.url, stage.admin.token, staff.id)).activeSessions;
  const transfer = (token: string, sessionId: string, body: Record<string, unknown>) =>
    request(stage.url).put(`/api/chat/sessions/${sessionId}/transfer`).set(bearer(token)).send(body);
  const alice = () => onlineOperator(stage.url, stage.admin.token, { name: 'Alice Agent', maxConcurrentSessions: 20 });
  const bob = () => onlineOperator(stage.url, stage.admin.token, { name: 'Bob Backup', maxConcurrentSessions: 1 });
  const billing = () => onlineOperator(stage.url, stage.admin.token, { name: 'Gina Billing', departments: ['billing'], maxConcurrentSessions: 5 });

  it('to another operator: the session, both operators’ loads and a system message say so', async () => {
    const { url, admin } = stage;
    const agent = await alice();
    const moving = await assignedChat(url, agent, { customerName: 'Erin', message: 'I need Bob' });
    const staying = await assignedChat(url, agent, { customerName: 'Finn' });
    expect(moving.session.operatorId).toBe(agent.id);
    expect(staying.session.operatorId).toBe(agent.id);
    const backup = await bob();
    const aliceBefore = await activeSessionsOf(agent);

    const res = await transfer(agent.token, moving.session.id, { operatorId: backup.id });
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: moving.session.id, status: 'active', operatorId: backup.id, operator: { id: backup.id, name: 'Bob Backup' } });
    expect(await activeSessionsOf(agent)).toBe(aliceBefore - 1);
    expect(await activeSessionsOf(backup)).toBe(1);
    const bobs = await request(url).get(`/api/operators/${backup.id}/sessions`).set(bearer(backup.token));
    expect(bobs.body.data.map((s: SessionBody) => s.id)).toEqual([moving.session.id]);

    const messages = await listMessages(url, moving.customerToken, moving.session.id);
    expect(messages[messages.length - 1]).toMatchObject({ senderType: 'system', type: 'system', content: expect.stringContaining('Bob Backup') });
    expect((await sessionEvents(url, admin.token, moving.session.id)).map((e) => e.type)).toContain('transferred');

    // Bob may now write in it; Alice no longer holds it.
    await sendMessage(url, backup.token, moving.session.id, { content: 'Bob here' });
    const aliceWrites = await request(url).post(`/api/chat/sessions/${moving.session.id}/messages`).set(bearer(agent.token)).send({ content: 'me too' });
    expectError(aliceWrites, 403, 'FORBIDDEN');
  });

  it('to an operator with no free seat: 409 OPERATOR_AT_CAPACITY, and nothing moves', async () => {
    const { url } = stage;
    // Bob's one seat is taken (he was the only one online), then Alice comes online and gets Finn.
    const backup = await bob();
    await assignedChat(url, backup, { customerName: 'Erin' });
    const agent = await alice();
    const staying = await assignedChat(url, agent, { customerName: 'Finn' });

    const aliceBefore = await activeSessionsOf(agent);
    const res = await transfer(agent.token, staying.session.id, { operatorId: backup.id });
    expectError(res, 409, 'OPERATOR_AT_CAPACITY');
    expect(res.body.error.message).toBe('Bob Backup has no free seat (1 of 1) and cannot take another session now');
    expect(await getSession(url, staying.customerToken, staying.session.id)).toMatchObject({ status: 'active', operatorId: agent.id });
    expect(await activeSessionsOf(agent)).toBe(aliceBefore);
    expect(await activeSessionsOf(backup)).toBe(1);
  });

  it('to a department nobody serves yet: back to the queue; an operator of that department then picks it up', async () => {
    const { url } = stage;
    const agent = await alice();
    const staying = await assignedChat(url, agent, { customerName: 'Finn' });
    const aliceBefore = await activeSessionsOf(agent);
    const res = await transfer(agent.token, staying.session.id, { department: 'billing' });
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ id: staying.session.id, status: 'waiting', operatorId: null, department: 'billing', queuePosition: 1 });
    expect(await activeSessionsOf(agent)).toBe(aliceBefore - 1);
    const messages = await listMessages(url, staying.customerToken, staying.session.id);
    expect(messages[messages.length - 1]).toMatchObject({ senderType: 'system', content: expect.stringContaining('billing') });
    // Alice is online with free seats, but not in billing: it stays waiting for billing.
    expect(await getSession(url, staying.customerToken, staying.session.id)).toMatchObject({ status: 'waiting' });

    const gina = await billing();
    expect(await getSession(url, staying.customerToken, staying.session.id)).toMatchObject({ status: 'active', operatorId: gina.id });
  });

  it('to a department someone serves: straight to them', async () => {
    const { url } = stage;
    const agent = await alice();
    const another = await assignedChat(url, agent, { customerName: 'Hugo' });
    const gina = await billing();
    const res = await transfer(agent.token, another.session.id, { department: 'billing' });
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ status: 'active', operatorId: gina.id, department: 'billing' });
  });

  it('an admin may transfer any session', async () => {
    const { url, admin } = stage;
    const backup = await bob();
    const moving = await assignedChat(url, backup, { customerName: 'Erin' });
    const agent = await alice();
    const res = await transfer(admin.token, moving.session.id, { operatorId: agent.id });
    expectStatus(res, 200);
    expect(res.body.data).toMatchObject({ operatorId: agent.id });
    expect(await activeSessionsOf(backup)).toBe(0);
  });
});
