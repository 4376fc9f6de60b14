import request from 'supertest';
import { bearer, createOperator, createSession, expectError, getData, sendChecked } from '../helpers/api';
import { describeEachBackend } from '../helpers/backends';
import { serverPerTest } from '../helpers/scenarios';

/**
 * The audit log (PROTOCOL.md `GET /api/audit`): every admin action on the team, its settings and customers'
 * data, who did it and when, newest first; never the secret; admins only.
 */

interface AuditEntry {
  id: number;
  at: string;
  action: string;
  actor: { id: number | null; name: string | null };
  target: { type: string; id: string | null };
  detail: Record<string, unknown> | null;
}

const NEW_PASSWORD = 'a-brand-new-password-2026';

describeEachBackend('audit log', (backend) => {
  const stage = serverPerTest(backend);
  const audit = (token: string, query = '') => request(stage.url).get(`/api/audit${query}`).set(bearer(token));
  const patchOperator = (token: string, id: number, body: Record<string, unknown>) => request(stage.url).patch(`/api/operators/${id}`).set(bearer(token)).send(body);

  it('records who created, changed, reset, disabled and enabled operators, changed settings and labels; newest first; no secret', async () => {
    const { url, admin } = stage;
    const before = (await getData<AuditEntry[]>(url, admin.token, '/api/audit')).length;
    const olga = await createOperator(url, admin.token, { name: 'Olga Operator' });
    expect((await patchOperator(admin.token, olga.id, { name: 'Olga Ortiz', maxConcurrentSessions: 3 })).status).toBe(200);
    expect((await patchOperator(admin.token, olga.id, { password: NEW_PASSWORD })).status).toBe(200);
    expect((await patchOperator(admin.token, olga.id, { disabled: true })).status).toBe(200);
    expect((await patchOperator(admin.token, olga.id, { disabled: false })).status).toBe(200);
    expect((await request(url).patch('/api/settings').set(bearer(admin.token)).send({ offlineNotifyEmails: ['team@example.org'] })).status).toBe(200);
    expect((await request(url).post('/api/labels').set(bearer(admin.token)).send({ name: 'vip' })).status).toBe(201);
    expect((await request(url).delete('/api/labels/vip').set(bearer(admin.token))).status).toBe(200);
    // Refused changes record nothing.
    expectError(await request(url).patch('/api/settings').set(bearer(admin.token)).send({ offlineNotifyEmails: ['not an email'] }), 400, 'VALIDATION_ERROR');
    expectError(await request(url).post('/api/operators').set(bearer(admin.token)).send({ name: 'Dup', email: olga.email, password: NEW_PASSWORD }), 409, 'CONFLICT');
    expectError(await patchOperator(olga.token, olga.id, { name: 'Self Promoted' }), 401, 'UNAUTHENTICATED');

    const res = await sendChecked(audit(admin.token), [NEW_PASSWORD, olga.password]);
    expect(res.status).toBe(200);
    const entries = (res.body.data as AuditEntry[]).slice(0, (res.body.data as AuditEntry[]).length - before);
    const by = { id: admin.id, name: 'Ada Admin' };
    const olgaRef = { type: 'operator', id: String(olga.id) };
    expect(entries.map(({ action, actor, target, detail }) => ({ action, actor, target, detail }))).toEqual([
      { action: 'label.deleted', actor: by, target: { type: 'label', id: 'vip' }, detail: { sessions: 0 } },
      { action: 'label.created', actor: by, target: { type: 'label', id: 'vip' }, detail: { color: null } },
      { action: 'settings.updated', actor: by, target: { type: 'settings', id: null }, detail: { changed: ['offlineNotifyEmails'] } },
      { action: 'operator.enabled', actor: by, target: olgaRef, detail: null },
      { action: 'operator.disabled', actor: by, target: olgaRef, detail: null },
      { action: 'operator.password_reset', actor: by, target: olgaRef, detail: null },
      { action: 'operator.updated', actor: by, target: olgaRef, detail: { changed: ['name', 'maxConcurrentSessions'], name: 'Olga Ortiz', maxConcurrentSessions: 3 } },
      { action: 'operator.created', actor: by, target: olgaRef, detail: { name: 'Olga Operator', email: olga.email, role: 'operator', maxConcurrentSessions: 5, departments: [] } },
    ]);
    // Newest first, by id; each with its time.
    const ids = entries.map((entry) => entry.id);
    expect([...ids].sort((x, y) => y - x)).toEqual(ids);
    for (const entry of entries) expect(Date.now() - Date.parse(entry.at)).toBeLessThan(60_000);
  });

  it("records an operator's own password change, by them, never the password", async () => {
    const { url, admin } = stage;
    const olga = await createOperator(url, admin.token, { name: 'Olga Own' });
    expect((await request(url).put('/api/auth/password').set(bearer(olga.token)).send({ currentPassword: olga.password, newPassword: NEW_PASSWORD })).status).toBe(200);
    // A wrong current password changes nothing and records nothing.
    expectError(await request(url).put('/api/auth/password').set(bearer(admin.token)).send({ currentPassword: 'not-the-password', newPassword: NEW_PASSWORD }), 401, 'UNAUTHENTICATED');
    const res = await sendChecked(audit(admin.token), [NEW_PASSWORD, olga.password]);
    const [latest, before] = res.body.data as AuditEntry[];
    expect(latest).toMatchObject({ action: 'operator.password_changed', actor: { id: olga.id, name: 'Olga Own' }, target: { type: 'operator', id: String(olga.id) }, detail: null });
    expect(before).toMatchObject({ action: 'operator.created', target: { type: 'operator', id: String(olga.id) } });
  });

  it('pages with limit and cursor, every entry once; bad paging is 400; only admins may read it', async () => {
    const { url, admin } = stage;
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) await request(url).post('/api/labels').set(bearer(admin.token)).send({ name });
    const all = await getData<AuditEntry[]>(url, admin.token, '/api/audit?limit=100');
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await audit(admin.token, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect((page.body.data as AuditEntry[]).length).toBeLessThanOrEqual(2);
      seen.push(...(page.body.data as AuditEntry[]).map((entry) => entry.id));
      cursor = page.body.meta.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual(all.map((entry) => entry.id));
    expect(new Set(seen).size).toBe(seen.length);

    for (const query of ['?limit=0', '?limit=101', '?limit=x', '?cursor=garbage', `?cursor=${Buffer.from('{"id":"1"}').toString('base64url')}`]) expectError(await audit(admin.token, query), 400, 'VALIDATION_ERROR');
    const olga = await createOperator(url, admin.token);
    expectError(await audit(olga.token), 403, 'FORBIDDEN');
    const customer = await createSession(url, {});
    expectError(await audit(customer.customerToken), 403, 'FORBIDDEN');
    expectError(await request(url).get('/api/audit'), 401, 'UNAUTHENTICATED');
  });
});
