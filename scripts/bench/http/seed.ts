import { api, type BenchRun, type Envelope } from '../harness';

/** bench:http's data: what the measured endpoints read and write. */

export interface Seeded {
  operatorToken: string;
  sessionId: string;
  afterId: number;
  pageSize: number;
  availableBody: string;
  availableCount: number;
}

/** An admin (bootstrapped), 10 operators (6 online with room, 1 busy, 3 offline), a session assigned to one. */
export async function seed(base: string, bench: BenchRun): Promise<Seeded> {
  const admin = await api<{ token: string }>(base, 'POST', '/api/auth/login', { body: bench.admin });
  const operators: Array<{ id: number; email: string; password: string }> = [];
  for (let i = 1; i <= 10; i++) {
    const spec = {
      name: `Bench Operator ${i}`,
      email: `bench-op${i}@example.com`,
      password: `operator-${i}-${bench.suffix}`,
      maxConcurrentSessions: 3 + (i % 3),
      departments: i % 2 === 0 ? ['sales'] : ['support', 'sales'],
    };
    const created = await api<{ id: number }>(base, 'POST', '/api/operators', { token: admin.token, body: spec });
    operators.push({ id: created.id, email: spec.email, password: spec.password });
  }
  for (const [index, operator] of operators.entries()) {
    const status = index < 6 ? 'online' : index === 6 ? 'busy' : 'offline';
    if (status !== 'offline') await api(base, 'PUT', `/api/operators/${operator.id}/status`, { token: admin.token, body: { status } });
  }
  const ticket = await api<{ session: { id: string; status: string; operatorId: number | null } }>(base, 'POST', '/api/chat/sessions', {
    body: { customerName: 'Bench Customer', customerEmail: 'bench-customer@example.com', message: 'Hello, I need help with my order.' },
  });
  const assigned = operators.find((o) => o.id === ticket.session.operatorId);
  if (ticket.session.status !== 'active' || !assigned) throw new Error(`the seed session was not assigned (status ${ticket.session.status})`);
  const { token: operatorToken } = await api<{ token: string }>(base, 'POST', '/api/auth/login', {
    body: { email: assigned.email, password: assigned.password },
  });
  const sessionId = ticket.session.id;
  for (let i = 1; i <= 50; i++) {
    await api(base, 'POST', `/api/chat/sessions/${sessionId}/messages`, {
      token: operatorToken,
      body: { content: `Seed message ${i}: a line of ordinary chat text, about as long as most are.`, clientMessageId: `seed-${i}` },
    });
  }
  const all = await api<Array<{ id: number }>>(base, 'GET', `/api/chat/messages/${sessionId}?limit=200`, { token: operatorToken });
  const pageSize = 10;
  const afterId = all[all.length - pageSize - 1]?.id;
  if (afterId === undefined) throw new Error('seeding stored fewer messages than expected');
  const res = await fetch(`${base}/api/operators/available`, { headers: { authorization: `Bearer ${operatorToken}` } });
  const availableBody = await res.text();
  const available = (JSON.parse(availableBody) as Envelope<unknown[]>).data;
  if (!res.ok || available.length === 0) throw new Error(`GET /api/operators/available → ${res.status}, ${available?.length ?? 0} operators`);
  return { operatorToken, sessionId, afterId, pageSize, availableBody, availableCount: available.length };
}
