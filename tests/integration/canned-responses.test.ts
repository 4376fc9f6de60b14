import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { onlineOperator, serverPerTest } from '../helpers/scenarios';
import { bearer, expectError, getData } from '../helpers/api';
import type { CannedResponseDTO } from '../../services/contract';

/**
 * Canned responses (PROTOCOL.md "Canned responses"): the team's shared ones and each operator's own, found by
 * shortcut or text; owners (and admins, for shared ones) change them; nobody sees another's personal ones.
 */
type Canned = CannedResponseDTO;

describeEachBackend('canned responses', (backend) => {
  const stage = serverPerTest(backend, { MAX_MESSAGE_LENGTH: '200' });
  const save = (token: string, body: Record<string, unknown>) => request(stage.url).post('/api/canned-responses').set(bearer(token)).send(body);
  const list = async (token: string, q?: string) =>
    (await getData<Canned[]>(stage.url, token, `/api/canned-responses${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}`)).map((c) => `${c.scope}:${c.shortcut}`);

  it('shared and personal ones, each operator seeing the shared ones and their own, searchable', async () => {
    const { url, admin } = stage;
    const ann = await onlineOperator(url, admin.token, { name: 'Ann' });
    const ben = await onlineOperator(url, admin.token, { name: 'Ben' });
    const shared = await save(admin.token, { shortcut: 'hello', content: 'Hello {{customer.name}}, I am {{operator.name}}.', scope: 'shared', department: 'sales' });
    expect(shared.status).toBe(201);
    expect(shared.body.data).toMatchObject({ shortcut: 'hello', scope: 'shared', department: 'sales', ownerId: null });
    const mine = await save(ann.token, { shortcut: 'refund', content: 'Your refund of 100% is on its way', scope: 'personal' });
    expect(mine.body.data).toMatchObject({ scope: 'personal', ownerId: ann.id, department: null });
    // The same shortcut for another owner is fine: unique per owner.
    expect((await save(ben.token, { shortcut: 'refund', content: 'Refunds take 5 days', scope: 'personal' })).status).toBe(201);
    expect((await save(ann.token, { shortcut: 'hello', content: 'Hi!', scope: 'personal' })).status).toBe(201);

    expect(await list(ann.token)).toEqual(['personal:hello', 'shared:hello', 'personal:refund']);
    expect(await list(ben.token)).toEqual(['shared:hello', 'personal:refund']);
    expect(await list(ann.token, 'REF')).toEqual(['personal:refund']);
    expect(await list(ann.token, 'operator.name')).toEqual(['shared:hello']);
    // LIKE's wildcards are plain characters to a user.
    expect(await list(ann.token, '100%')).toEqual(['personal:refund']);
    expect(await list(ann.token, '%')).toEqual(['personal:refund']);
    expect(await list(ann.token, '_')).toEqual([]);
    expect(await list(ann.token, "'; DROP TABLE canned_responses; --")).toEqual([]);
    expect(await list(ann.token, 'nothing like it')).toEqual([]);
  });

  it('owners change and delete their own; admins the shared ones; others get 403 or 404', async () => {
    const { url, admin } = stage;
    const ann = await onlineOperator(url, admin.token, { name: 'Ann' });
    const ben = await onlineOperator(url, admin.token, { name: 'Ben' });
    const shared = (await save(admin.token, { shortcut: 'bye', content: 'Goodbye!', scope: 'shared' })).body.data as Canned;
    const annOwn = (await save(ann.token, { shortcut: 'mine', content: 'Mine', scope: 'personal' })).body.data as Canned;
    const patch = (token: string, id: number, body: Record<string, unknown>) => request(url).patch(`/api/canned-responses/${id}`).set(bearer(token)).send(body);
    const remove = (token: string, id: number) => request(url).delete(`/api/canned-responses/${id}`).set(bearer(token));

    expect((await patch(ann.token, annOwn.id, { content: 'Still mine' })).body.data).toMatchObject({ id: annOwn.id, content: 'Still mine', shortcut: 'mine' });
    expectError(await patch(ben.token, annOwn.id, { content: 'taken' }), 404, 'NOT_FOUND');
    expectError(await remove(ben.token, annOwn.id), 404, 'NOT_FOUND');
    expectError(await patch(admin.token, annOwn.id, { content: 'an admin has no business here' }), 404, 'NOT_FOUND');
    expectError(await patch(ann.token, shared.id, { content: 'changed' }), 403, 'FORBIDDEN');
    expectError(await remove(ann.token, shared.id), 403, 'FORBIDDEN');
    expect((await patch(admin.token, shared.id, { content: 'Bye for now!' })).body.data.content).toBe('Bye for now!');
    expectError(await patch(ann.token, 999_999, { content: 'x' }), 404, 'NOT_FOUND');

    await save(ann.token, { shortcut: 'other', content: 'Other', scope: 'personal' });
    expectError(await patch(ann.token, annOwn.id, { shortcut: 'other' }), 409, 'CONFLICT');
    expect((await remove(ann.token, annOwn.id)).body.data).toEqual({ deleted: true });
    expectError(await remove(ann.token, annOwn.id), 404, 'NOT_FOUND');
    expect(await list(ann.token)).toEqual(['shared:bye', 'personal:other']);
  });

  it('refuses a duplicate shortcut (409), a bad shortcut, empty or oversized content, a shared one from an operator', async () => {
    const { url, admin } = stage;
    const ann = await onlineOperator(url, admin.token, { name: 'Ann' });
    await save(ann.token, { shortcut: 'thanks', content: 'Thanks!', scope: 'personal' });
    expectError(await save(ann.token, { shortcut: 'thanks', content: 'Thank you!', scope: 'personal' }), 409, 'CONFLICT');
    for (const shortcut of ['Thanks', 'two words', '', 'x'.repeat(33), '/slash', 5]) {
      expectError(await save(ann.token, { shortcut, content: 'ok', scope: 'personal' }), 400, 'VALIDATION_ERROR');
    }
    for (const content of ['', '   ', 'x'.repeat(201), 12]) expectError(await save(ann.token, { shortcut: 'c', content, scope: 'personal' }), 400, 'VALIDATION_ERROR');
    expect((await save(ann.token, { shortcut: 'emoji', content: '👍'.repeat(200), scope: 'personal' })).status).toBe(201);
    expectError(await save(ann.token, { shortcut: 'team', content: 'For all', scope: 'shared' }), 403, 'FORBIDDEN');
    expectError(await save(ann.token, { shortcut: 'team', content: 'For all', scope: 'everyone' }), 400, 'VALIDATION_ERROR');
    expectError(await request(url).get('/api/canned-responses').set(bearer('not-a-token')), 401, 'UNAUTHENTICATED');
    expect(await list(ann.token)).toEqual(['personal:emoji', 'personal:thanks']);
  });
});
