import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { pagesRouter } from '../../routes/pages';
import { sqliteBackend } from '../helpers/backends';
import { startTestServer, type TestServer } from '../helpers/testServer';

/** The server serves the built pages (globalSetup builds them) beside the API, without shadowing any of it. */
describe('pages', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(sqliteBackend, { env: { CORS_ORIGINS: 'https://shop.example.com' } });
  });
  afterAll(() => server.close());

  it('/ is the demo page carrying the widget, /console the console; both under the CSP, revalidated', async () => {
    const home = await request(server.url).get('/').expect(200);
    expect(home.headers['content-type']).toMatch(/text\/html/);
    expect(home.text).toContain('<script src="/widget.js"');
    expect(home.headers['content-security-policy']).toContain("script-src 'self'");
    expect(home.headers['cache-control']).toBe('no-cache');
    const consolePage = await request(server.url).get('/console').expect(200);
    expect(consolePage.text).toContain('<script src="/console.js"');
    // Revalidated by ETag: an unchanged page costs a 304, not the page again.
    for (const page of ['/', '/console', '/widget.js']) {
      const first = await request(server.url).get(page).expect(200);
      expect(first.headers.etag).toBeDefined();
      await request(server.url).get(page).set('If-None-Match', first.headers.etag as string).expect(304);
    }
  });

  it('/widget.js is JavaScript any site may load', async () => {
    const widget = await request(server.url).get('/widget.js').set('Origin', 'https://shop.example.com').expect(200);
    expect(widget.headers['content-type']).toMatch(/javascript/);
    expect(widget.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(widget.text.length).toBeGreaterThan(1000);
  });

  it('the API and unknown paths answer as before: JSON, 404 NOT_FOUND; build files are not served', async () => {
    for (const url of ['/nope', '/widget.jsx', '/.build-stamp', '/api/nope']) {
      const res = await request(server.url).get(url).expect(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect((await request(server.url).get('/health').expect(200)).body.success).toBe(true);
  });

  it('pages that were never built say how to build them instead of a bare 404', async () => {
    const app = express().use(pagesRouter(path.join(__dirname, 'no-such-build')));
    const res = await request(app).get('/').expect(503);
    expect(res.text).toContain('npm run build');
  });
});
