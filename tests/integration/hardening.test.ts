import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { PASSWORD, bearer, createAdmin, expectError, expectStatus, startApiServer, type Staff } from '../helpers/api';
import { cmid, connectCustomer, connectOperator, emitWithAck, expectAckError } from '../helpers/sockets';
import type { TestServer } from '../helpers/testServer';

/**
 * Findings of a black-box security review (issue: privacy, audit and hardening), each reproduced as it was found:
 * a broken percent-encoding in a path and a body that does not decompress answered 500; API answers were cacheable;
 * X-Forwarded-For picked the rate-limit bucket of anyone on loopback.
 */

describeEachBackend('hardening', (backend) => {
  describe('with the defaults', () => {
    let server: TestServer;
    let admin: Staff;
    beforeAll(async () => {
      server = await startApiServer(backend, { RATE_LIMIT_LOGINS_PER_MINUTE: '2' });
      admin = await createAdmin(server);
    });
    afterAll(async () => {
      await server?.close();
    });

    it('a path parameter that is not valid percent-encoding (%ff) is 400 VALIDATION_ERROR on every route with one, never a 500', async () => {
      const { url } = server;
      const calls = [
        request(url).get('/api/chat/sessions/%ff'),
        request(url).get('/api/chat/messages/%ff'),
        request(url).get('/api/chat/sessions/%ff/events'),
        request(url).put('/api/chat/sessions/%E0%A4%A/close').send({}),
        request(url).get('/api/operators/%ff'),
        request(url).get('/api/users/%ff/sessions'),
        request(url).delete('/api/labels/%ff'),
        request(url).get('/api/chat/attachments/%ff'),
      ];
      for (const call of calls) {
        const res = await call.set(bearer(admin.token));
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(res.body.error.details).toEqual([{ field: 'path', message: 'not valid percent-encoding' }]);
      }
    });

    it('a JSON body whose Content-Encoding (gzip, deflate, br) does not decompress is 400; a real gzip body works', async () => {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await request(server.url).post('/api/chat/sessions').set('Content-Type', 'application/json').set('Content-Encoding', encoding).send('{"customerName":"not compressed"}');
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(res.body.error.details).toEqual([{ field: 'body', message: 'does not decompress as its Content-Encoding says' }]);
      }
      // fetch, not supertest: supertest would serialise a Buffer under a JSON content type.
      const gzipped = await fetch(`${server.url}/api/chat/sessions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: gzipSync(JSON.stringify({ customerName: 'Gus Gzip' })),
      });
      expect(gzipped.status).toBe(201);
      expect(((await gzipped.json()) as { data: { session: { customerName: string } } }).data.session.customerName).toBe('Gus Gzip');
    });

    it('a new session from a body that is not JSON (text/plain, a form: what another site can send without a preflight) is 415 and creates nothing', async () => {
      const { url } = server;
      const before = (await request(url).get('/api/chat/sessions/history?limit=100').set(bearer(admin.token))).body.data.length as number;
      const plain = await request(url).post('/api/chat/sessions').set('Content-Type', 'text/plain').send('{"customerName":"Cross Site"}');
      expectError(plain, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const form = await request(url).post('/api/chat/sessions').type('form').send({ customerName: 'Cross Site' });
      expectError(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
      const multipart = await request(url).post('/api/chat/sessions').field('customerName', 'Cross Site');
      expectError(multipart, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect((await request(url).get('/api/chat/sessions/history?limit=100').set(bearer(admin.token))).body.data).toHaveLength(before);
      expectStatus(await request(url).post('/api/chat/sessions').send({ customerName: 'Same Site' }), 201);
    });

    it('every API answer is Cache-Control: no-store (the login, errors, lists); the pages are not', async () => {
      const { url } = server;
      const answers = [
        await request(url).post('/api/auth/login').send({ email: admin.email, password: PASSWORD }),
        await request(url).get('/api/auth/me').set(bearer(admin.token)),
        await request(url).get('/api/chat/availability'),
        await request(url).get('/api/chat/sessions/history').set(bearer(admin.token)),
        await request(url).get('/api/auth/me'),
        await request(url).get('/api/no-such-route'),
        await request(url).post('/api/chat/sessions').set('Content-Type', 'application/json').send('{not json'),
      ];
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 401, 404, 400]);
      for (const res of answers) expect(res.headers['cache-control']).toBe('no-store');
      expect((await request(url).get('/console')).headers['cache-control']).not.toBe('no-store');
    });

    it('names lose bidi controls and zero-width characters (customers and operators); message text keeps every character', async () => {
      const { url } = server;
      const created = await request(url).post('/api/chat/sessions').send({ customerName: ' abc\u202Egnp.exe\u200B  Smith\u2066 ', message: 'see \u202Eabc' });
      expect(created.status).toBe(201);
      expect(created.body.data.session.customerName).toBe('abcgnp.exe Smith');
      const messages = await request(url).get(`/api/chat/messages/${created.body.data.session.id}`).set(bearer(admin.token));
      const first = messages.body.data.find((m: { senderType: string }) => m.senderType === 'customer');
      expect(first).toMatchObject({ senderName: 'abcgnp.exe Smith', content: 'see \u202Eabc' });
      // A name of nothing visible is no name: the session is a Visitor's.
      const invisible = await request(url).post('/api/chat/sessions').send({ customerName: '\u200B\u202E\uFEFF' });
      expect(invisible.body.data.session.customerName).toBeNull();

      const operator = await request(url).post('/api/operators').set(bearer(admin.token)).send({ name: 'Eve\u202E\u200Dlyn', email: 'eve-names@example.com', password: PASSWORD });
      expect(operator.status).toBe(201);
      expect(operator.body.data.name).toBe('Evelyn');
      for (const body of [{ name: '\u200B\u200C' }, { name: '\u202E' }]) {
        const refused = await request(url).patch(`/api/operators/${operator.body.data.id}`).set(bearer(admin.token)).send(body);
        expectError(refused, 400, 'VALIDATION_ERROR');
        expect(refused.body.error.details).toEqual([{ field: 'name', message: 'must contain visible characters' }]);
      }
      const renamed = await request(url).patch(`/api/operators/${operator.body.data.id}`).set(bearer(admin.token)).send({ name: 'Eve\u2067 Lyn' });
      expect(renamed.body.data.name).toBe('Eve Lyn');
    });

    it('a message of type image or file without its file is refused (REST and both socket namespaces); text still goes', async () => {
      const { url } = server;
      const created = await request(url).post('/api/chat/sessions').send({ customerName: 'Tia Type' });
      const { session, customerToken } = created.body.data as { session: { id: string }; customerToken: string };
      for (const type of ['image', 'file']) {
        for (const token of [customerToken, admin.token]) {
          const res = await request(url).post(`/api/chat/sessions/${session.id}/messages`).set(bearer(token)).send({ content: 'https://evil.example/x.png', type });
          expectError(res, 400, 'VALIDATION_ERROR');
          expect(res.body.error.details).toEqual([{ field: 'type', message: 'text: images and files are sent as a multipart upload, with the file' }]);
        }
        const customer = await connectCustomer(url, customerToken);
        const operator = await connectOperator(url, admin.token);
        expectAckError(await emitWithAck(customer, 'message:send', { content: 'x', clientMessageId: cmid(), type }), 'VALIDATION_ERROR');
        expectAckError(await emitWithAck(operator, 'message:send', { sessionId: session.id, content: 'x', clientMessageId: cmid(), type }), 'VALIDATION_ERROR');
        customer.disconnect();
        operator.disconnect();
      }
      const messages = await request(url).get(`/api/chat/messages/${session.id}`).set(bearer(admin.token));
      expect(messages.body.data.filter((m: { senderType: string }) => m.senderType !== 'system')).toEqual([]);
      expectStatus(await request(url).post(`/api/chat/sessions/${session.id}/messages`).set(bearer(customerToken)).send({ content: 'plain', type: 'text' }), 201);
    });

    it('without TRUST_PROXY, X-Forwarded-For does not choose the rate-limit bucket: three "different" clients share one', async () => {
      const attempts = [];
      for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
        attempts.push(await request(server.url).post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: 'nobody@example.com', password: 'wrong-password' }));
      }
      expect(attempts.map((res) => res.status)).toContain(429);
    });
  });

  it('with TRUST_PROXY=loopback, each forwarded client has its own bucket, and one client still gets 429', async () => {
    const server = await startApiServer(backend, { RATE_LIMIT_LOGINS_PER_MINUTE: '2', TRUST_PROXY: 'loopback' });
    try {
      const login = (ip: string) => request(server.url).post('/api/auth/login').set('X-Forwarded-For', ip).send({ email: 'nobody@example.com', password: 'wrong-password' });
      const apart = [];
      for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) apart.push((await login(ip)).status);
      expect(apart).toEqual([401, 401, 401]);
      const same = [];
      for (let i = 0; i < 3; i++) same.push((await login('198.51.100.9')).status);
      expect(same).toEqual([401, 401, 429]);
    } finally {
      await server.close();
    }
  });

  it('ten failed logins of one account in 15 minutes lock it (429, whatever the IP, the right password too); an unknown email answers the same; other accounts are untouched', async () => {
    const server = await startApiServer(backend, { LOGIN_LOCKOUT_FAILURES: '10', TRUST_PROXY: 'loopback' });
    try {
      const [target, bystander] = [await createAdmin(server), await createAdmin(server)];
      const login = (email: string, password: string, ip: string) => request(server.url).post('/api/auth/login').set('X-Forwarded-For', ip).send({ email, password });
      for (const email of [target.email, 'no-such-operator@example.com']) {
        for (let i = 0; i < 10; i++) expectError(await login(email, 'wrong-password', `192.0.2.${i + 1}`), 401, 'UNAUTHENTICATED');
      }
      const locked = await login(target.email, PASSWORD, '192.0.2.200');
      const unknown = await login('no-such-operator@example.com', PASSWORD, '192.0.2.201');
      expectError(locked, 429, 'RATE_LIMITED');
      expect(unknown.status).toBe(429);
      expect(unknown.body).toEqual(locked.body);
      const retryAfter = Number(locked.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      // The email is the key whatever its case; another account logs in as usual.
      expect((await login(target.email.toUpperCase(), PASSWORD, '192.0.2.202')).status).toBe(429);
      expect((await login(bystander.email, PASSWORD, '192.0.2.200')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('successful logins do not count towards the lockout', async () => {
    const server = await startApiServer(backend, { LOGIN_LOCKOUT_FAILURES: '3' });
    try {
      const admin = await createAdmin(server);
      const login = (password: string) => request(server.url).post('/api/auth/login').send({ email: admin.email, password });
      for (let i = 0; i < 5; i++) expect((await login(PASSWORD)).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await login('wrong-password')).status).toBe(401);
      expect((await login(PASSWORD)).status).toBe(200);
      expect((await login('wrong-password')).status).toBe(401);
      expect((await login(PASSWORD)).status).toBe(429);
    } finally {
      await server.close();
    }
  });
});
