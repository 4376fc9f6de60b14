import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, getSession } from '../helpers/api';
import { onlineOperator, sharedServer } from '../helpers/scenarios';

/** Fields a client may not set are ignored when it sends them anyway: never stored, never a 5xx. */

describeEachBackend('bad input on every route', (backend) => {
  // Each test makes what it checks, so they share one server.
  const stage = sharedServer(backend);

  describe('unknown fields are ignored, never stored', () => {
    it('a new session cannot choose its id, status, operator, rating or token', async () => {
      const { url, admin } = stage;
      const operator = await onlineOperator(url, admin.token, { maxConcurrentSessions: 10 });
      const chosenId = randomUUID();
      const res = await request(url)
        .post('/api/chat/sessions')
        .send({ id: chosenId, status: 'closed', operatorId: 999, rating: 5, customerTokenHash: 'f'.repeat(64), customerName: 'Mallory' });
      expect(res.status).toBe(201);
      const session = res.body.data.session;
      expect(session.id).not.toBe(chosenId);
      expect(session).toMatchObject({ customerName: 'Mallory', rating: null });
      expect(['waiting', 'active']).toContain(session.status);
      expect(session.operatorId === null || session.operatorId === operator.id).toBe(true);
      expect(await getSession(url, res.body.data.customerToken, session.id)).toMatchObject({ id: session.id });
    });

    it('a new operator cannot choose their load, token version or disabled flag', async () => {
      const { url, admin } = stage;
      const res = await request(url)
        .post('/api/operators')
        .set(bearer(admin.token))
        .send({ name: 'Fresh', email: `fresh.${randomUUID().slice(0, 8)}@example.com`, password: 'long-enough-pass', activeSessions: 99, status: 'online', passwordHash: 'x', tokenVersion: 7, id: 1 });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ activeSessions: 0, status: 'offline', role: 'operator' });
      expect(res.body.data.id).not.toBe(1);
    });
  });
});
