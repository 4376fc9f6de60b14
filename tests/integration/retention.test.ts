import { QueryTypes } from 'sequelize';
import { closeSession, createSession, getData, sessionEvents, type SessionBody } from '../helpers/api';
import { describeEachBackend } from '../helpers/backends';
import { deploymentPerTest, describeCluster, startDeployment } from '../helpers/cluster';
import { serverPerTest } from '../helpers/scenarios';
import type { TestServer } from '../helpers/testServer';

/**
 * MESSAGE_RETENTION_DAYS (PROTOCOL.md "Customer data"): closed sessions older than that are erased by the server
 * itself, the way an admin would erase them, in small batches, once across processes.
 */

const DAY_MS = 86_400_000;

/** `n` closed sessions of distinct customers, each with words of its own, closed `daysAgo` days ago. */
async function closedSessions(server: TestServer, adminToken: string, n: number, daysAgo: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, n - start) }, async (_, k) => {
        const i = start + k;
        const customer = await createSession(server.url, { customerId: `${tag}-${i}`, customerName: `Name ${tag} ${i}`, customerEmail: `${tag}-${i}@example.org`, message: `order ${tag}x${i} is late` });
        await closeSession(server.url, adminToken, customer.session.id);
        return customer.session.id;
      }),
    );
    ids.push(...batch);
  }
  await server.server.db.sequelize.query('UPDATE chat_sessions SET closed_at = ? WHERE id IN (?)', { replacements: [new Date(Date.now() - daysAgo * DAY_MS), ids], type: QueryTypes.UPDATE });
  return ids;
}

/** How many `erased` lines each session's audit trail holds. */
async function erasedLines(server: TestServer, ids: string[]): Promise<number[]> {
  const rows = await server.server.db.sequelize.query<{ sessionId: string; n: number | string }>(
    "SELECT session_id AS sessionId, COUNT(*) AS n FROM session_events WHERE type = 'erased' AND session_id IN (?) GROUP BY session_id",
    { replacements: [ids], type: QueryTypes.SELECT },
  );
  const by = new Map(rows.map((row) => [row.sessionId, Number(row.n)]));
  return ids.map((id) => by.get(id) ?? 0);
}

describeEachBackend('retention', (backend) => {
  const stage = serverPerTest(backend, { MESSAGE_RETENTION_DAYS: '30' });

  it('erases closed sessions older than MESSAGE_RETENTION_DAYS, oldest first in batches, and keeps the rest', async () => {
    const { server, admin, url } = stage;
    const expired = await closedSessions(server, admin.token, 45, 31, 'old');
    const recent = await closedSessions(server, admin.token, 3, 29, 'new');
    const open = await createSession(url, { customerId: 'still-here', message: 'order openx1 please' });
    const before = server.server.retention.counts.batches;

    await server.server.retention.run();

    // 20 + 20 + 5: three batches, each session once.
    expect(server.server.retention.counts.batches - before).toBe(3);
    expect(await erasedLines(server, expired)).toEqual(expired.map(() => 1));
    expect(await erasedLines(server, recent)).toEqual([0, 0, 0]);
    const history = await getData<SessionBody[]>(url, admin.token, '/api/chat/sessions/history?limit=100');
    const byId = new Map(history.map((s) => [s.id, s]));
    for (const id of expired) expect(byId.get(id)).toMatchObject({ status: 'closed', customerId: null, customerName: null, customerEmail: null });
    for (const id of recent) expect(byId.get(id)?.customerName).toMatch(/^Name new/);
    expect(byId.get(open.session.id)?.customerId).toBe('still-here');
    expect(await getData(url, admin.token, '/api/chat/search?q=oldx7')).toEqual([]);
    expect(await getData<unknown[]>(url, admin.token, '/api/chat/search?q=newx1')).toHaveLength(1);
    // Retention is the system's doing: its own lines in the audit log and the session's trail.
    const audit = await getData<Array<{ action: string; actor: unknown; detail: { sessions: number } }>>(url, admin.token, '/api/audit');
    const purges = audit.filter((entry) => entry.action === 'sessions.expired');
    expect(purges.map((entry) => entry.detail.sessions)).toEqual([5, 20, 20]);
    for (const entry of purges) expect(entry.actor).toEqual({ id: null, name: null });
    expect((await sessionEvents(url, admin.token, expired[0]!)).find((e) => e.type === 'erased')).toMatchObject({ operatorId: null, detail: { by: 'retention' } });

    // Nothing left to do: a second pass erases nothing.
    await server.server.retention.run();
    expect(await erasedLines(server, expired)).toEqual(expired.map(() => 1));
  });
});

describeEachBackend('retention off (the default)', (backend) => {
  const stage = serverPerTest(backend);

  it('keeps every session, however old', async () => {
    const { server, admin } = stage;
    expect(server.config.messageRetentionDays).toBe(0);
    const old = await closedSessions(server, admin.token, 3, 3650, 'ancient');
    await server.server.retention.run();
    expect(server.server.retention.counts.batches).toBe(0);
    expect(await erasedLines(server, old)).toEqual([0, 0, 0]);
    expect(await getData<unknown[]>(stage.url, admin.token, '/api/chat/search?q=ancientx2')).toHaveLength(1);
  });
});

describeCluster('retention across two processes [mariadb+redis]', () => {
  const deployment = deploymentPerTest();

  it('two processes purging at once do every batch once: each session erased once, the batches add up', async () => {
    await startDeployment(deployment, { MESSAGE_RETENTION_DAYS: '7' });
    const { a, b, admin } = deployment;
    const expired = await closedSessions(a!, admin.token, 120, 8, 'two');
    const counted = (server: TestServer) => ({ ...server.server.retention.counts });
    const [beforeA, beforeB] = [counted(a!), counted(b!)];

    await Promise.all([a!.server.retention.run(), b!.server.retention.run(), a!.server.retention.run(), b!.server.retention.run()]);

    expect(await erasedLines(a!, expired)).toEqual(expired.map(() => 1));
    const selected = counted(a!).selected - beforeA.selected + (counted(b!).selected - beforeB.selected);
    const erased = counted(a!).erased - beforeA.erased + (counted(b!).erased - beforeB.erased);
    // Had both processes taken the same batch, the sessions they took would add up to more than there were.
    expect(selected).toBe(120);
    expect(erased).toBe(120);
  });
});
