import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';

describeEachBackend('service endpoints', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('GET /health answers 200 without touching dependencies', async () => {
    const res = await request(server.url).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, data: { status: 'ok' } });
  });

  it('GET /ready reports the database and the cache', async () => {
    const res = await request(server.url).get('/ready');
    expect(res.status).toBe(200);
    expect(res.body.data.database).toMatchObject({ ok: true, dialect: backend.name === 'sqlite' ? 'sqlite' : 'mysql' });
    expect(res.body.data.cache).toMatchObject({ ok: true, kind: backend.name === 'sqlite' ? 'memory' : 'redis' });
  });

  it('unknown routes get the 404 envelope', async () => {
    const res = await request(server.url).get('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ success: false, error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('malformed JSON is 400 VALIDATION_ERROR, not a 500', async () => {
    const res = await request(server.url).post('/api/chat/sessions').set('Content-Type', 'application/json').send('{"customerName": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
    const huge = JSON.stringify({ content: 'x'.repeat(server.config.bodyLimitBytes + 10) });
    const res = await request(server.url).post('/api/chat/sessions').set('Content-Type', 'application/json').send(huge);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('carries a given X-Request-Id back, and makes one otherwise', async () => {
    const given = await request(server.url).get('/health').set('X-Request-Id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await request(server.url).get('/health');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
