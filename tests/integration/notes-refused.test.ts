import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { serverPerTest } from '../helpers/scenarios';
import { bearer, createSession, expectError, listMessages } from '../helpers/api';
import { cmid, connectCustomer, connectedOperator, expectNoEvent, refused } from '../helpers/sockets';

/**
 * Internal notes are not built yet. A message marked `internal: true` must never be stored as an ordinary
 * message that the customer then reads: it is refused, by REST and by socket, and nothing reaches anyone.
 */
describeEachBackend('a message marked internal', (backend) => {
  let url: string;
  let adminToken: string;
  serverPerTest(backend, {}, (stage) => {
    url = stage.url;
    adminToken = stage.admin.token;
  });

  it('is refused for an operator (400, field internal) and a customer (403), and the customer sees nothing', async () => {
    const ann = await connectedOperator(url, adminToken, { name: 'Ann Archer', status: 'online' });
    const customer = await createSession(url, { customerName: 'Carla Customer' });
    const widget = await connectCustomer(url, customer.customerToken);
    const id = customer.session.id;

    const rest = await request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(ann.token)).send({ content: 'she seems upset', internal: true });
    expectError(rest, 400, 'VALIDATION_ERROR');
    expect(rest.body.error.details).toEqual([expect.objectContaining({ field: 'internal' })]);
    const socket = await refused(ann.socket, 'message:send', { sessionId: id, content: 'whisper', clientMessageId: cmid(), internal: true }, 'VALIDATION_ERROR');
    expect(socket).toMatchObject({ ok: false });
    expectError(await request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(customer.customerToken)).send({ content: 'me too', internal: true }), 403, 'FORBIDDEN');
    await refused(widget, 'message:send', { content: 'me too', clientMessageId: cmid(), internal: true }, 'FORBIDDEN');
    expectError(await request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(ann.token)).send({ content: 'x', internal: 'yes' }), 400, 'VALIDATION_ERROR');

    // A file marked as a note is refused the same way, before anything is stored.
    const file = (token: string) => request(url).post(`/api/chat/sessions/${id}/messages`).set(bearer(token)).field('internal', 'true').attach('file', Buffer.from('notes\n'), 'notes.txt');
    expectError(await file(ann.token), 400, 'VALIDATION_ERROR');
    expectError(await file(customer.customerToken), 403, 'FORBIDDEN');
    await expectNoEvent(widget, 'message:new', 300, (payload) => (payload as { message: { senderType: string } }).message.senderType !== 'system');
    expect((await listMessages(url, customer.customerToken, id)).filter((m) => m.senderType !== 'system')).toEqual([]);
  });
});
