import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { col, literal, Op } from 'sequelize';
import type { Config } from '../config';
import type { ClosedBy, Operator, OperatorRole, SenderType, SessionEventType } from '../models';
import type { Db } from '../models/db';
import { hashPassword } from '../services/operators/passwords';
import { CliError, migrationStatus, runMain, withDatabase, type Output } from './cli';

interface SeedOperator {
  name: string;
  email: string;
  password: string;
  role: OperatorRole;
  departments: string[];
  maxConcurrentSessions: number;
}

/** Demo accounts (README lists them): for demos only, never for a real deployment. */
export const SEED_OPERATORS: readonly SeedOperator[] = [
  { name: 'Demo Admin', email: 'admin@example.com', password: 'admin1234', role: 'admin', departments: [], maxConcurrentSessions: 5 },
  { name: 'Alice Adams', email: 'alice@example.com', password: 'alice1234', role: 'operator', departments: ['sales'], maxConcurrentSessions: 3 },
  { name: 'Bob Brown', email: 'bob@example.com', password: 'bob12345', role: 'operator', departments: ['support'], maxConcurrentSessions: 5 },
  { name: 'Carol Chen', email: 'carol@example.com', password: 'carol1234', role: 'operator', departments: ['sales', 'support'], maxConcurrentSessions: 4 },
];

interface SeedMessage {
  from: Exclude<SenderType, 'system'>;
  content: string;
  minutesAfterStart: number;
}

interface SeedSession {
  /** Also the idempotency key, together with metadata.seed. */
  customerId: string;
  customerName: string;
  customerEmail: string;
  department: string;
  operatorEmail: string;
  startedMinutesAgo: number;
  messages: SeedMessage[];
  closed?: { minutesAfterStart: number; by: ClosedBy; reason: string; rating: number; ratingComment: string };
}

const ASSIGNED_AFTER_MINUTES = 0.5;

export const SEED_SESSIONS: readonly SeedSession[] = [
  {
    customerId: 'seed-customer-1',
    customerName: 'Dana Demo',
    customerEmail: 'dana@example.com',
    department: 'sales',
    operatorEmail: 'alice@example.com',
    startedMinutesAgo: 2 * 24 * 60,
    messages: [
      { from: 'customer', content: 'Hi! Does the team plan include SSO?', minutesAfterStart: 0 },
      { from: 'operator', content: 'Hello Dana, yes: SSO is part of every team plan.', minutesAfterStart: 1 },
      { from: 'customer', content: 'Great, thanks!', minutesAfterStart: 2 },
    ],
    closed: { minutesAfterStart: 3, by: 'customer', reason: 'question answered', rating: 5, ratingComment: 'Quick and clear.' },
  },
  {
    customerId: 'seed-customer-2',
    customerName: 'Eli Example',
    customerEmail: 'eli@example.com',
    department: 'support',
    operatorEmail: 'bob@example.com',
    startedMinutesAgo: 26 * 60,
    messages: [
      { from: 'customer', content: 'I cannot reset my password, the link has expired.', minutesAfterStart: 0 },
      { from: 'operator', content: 'I have sent you a fresh link, it is valid for one hour.', minutesAfterStart: 2 },
      { from: 'customer', content: 'That worked.', minutesAfterStart: 6 },
    ],
    closed: { minutesAfterStart: 7, by: 'operator', reason: 'resolved', rating: 4, ratingComment: 'Solved, took a moment.' },
  },
  {
    customerId: 'seed-customer-3',
    customerName: 'Fay Sample',
    customerEmail: 'fay@example.com',
    department: 'support',
    operatorEmail: 'carol@example.com',
    startedMinutesAgo: 5 * 60,
    messages: [
      { from: 'customer', content: 'Can I get my invoice as a PDF?', minutesAfterStart: 0 },
      { from: 'operator', content: 'Sure, it is under Billing > Invoices > Download.', minutesAfterStart: 1 },
    ],
    closed: { minutesAfterStart: 15, by: 'system', reason: 'idle timeout', rating: 3, ratingComment: 'Fine.' },
  },
  {
    customerId: 'seed-customer-4',
    customerName: 'Gus Guest',
    customerEmail: 'gus@example.com',
    department: 'support',
    operatorEmail: 'bob@example.com',
    startedMinutesAgo: 4,
    messages: [
      { from: 'customer', content: 'The app crashes when I upload a photo.', minutesAfterStart: 0 },
      { from: 'operator', content: 'Sorry about that! Which version of the app are you on?', minutesAfterStart: 1 },
      { from: 'customer', content: '3.2.1 on Android.', minutesAfterStart: 2 },
    ],
  },
  {
    customerId: 'seed-customer-5',
    customerName: 'Hana Visitor',
    customerEmail: 'hana@example.com',
    department: 'sales',
    operatorEmail: 'alice@example.com',
    startedMinutesAgo: 2,
    messages: [
      { from: 'customer', content: 'Do you offer a discount for non-profits?', minutesAfterStart: 0 },
      { from: 'operator', content: 'We do! Let me check the details for you.', minutesAfterStart: 1 },
    ],
  },
];

/** Seeds an open, migrated database. Safe to run again: what exists is found and left as it is. */
export async function seedDatabase(db: Db, out: Output): Promise<void> {
  const operators = new Map<string, Operator>();
  let operatorsCreated = 0;
  for (const spec of SEED_OPERATORS) {
    const [operator, created] = await findOrCreateOperator(db, spec);
    operators.set(spec.email, operator);
    if (created) operatorsCreated += 1;
  }
  out.info(
    `operators: ${operatorsCreated} created, ${SEED_OPERATORS.length - operatorsCreated} already there ` +
      `(${SEED_OPERATORS.map((o) => o.email).join(', ')})`,
  );

  const existing = await db.models.ChatSession.findAll({
    attributes: ['customerId', 'metadata'],
    where: { customerId: SEED_SESSIONS.map((s) => s.customerId) },
  });
  // Without IDENTITY_SECRET a customer may send any customerId, so only a row the seed marked counts.
  const seeded = new Set(existing.filter((s) => s.metadata?.seed === true).map((s) => s.customerId));
  const skipped: SeedSession[] = [];
  let sessionsCreated = 0;
  for (const spec of SEED_SESSIONS.filter((s) => !seeded.has(s.customerId))) {
    const operator = operators.get(spec.operatorEmail);
    if (!operator) throw new Error(`seed session ${spec.customerId} names unknown operator ${spec.operatorEmail}`);
    if (await createSession(db, spec, operator)) sessionsCreated += 1;
    else skipped.push(spec);
  }
  out.info(`sessions: ${sessionsCreated} created, ${seeded.size} already there`);
  for (const spec of skipped) out.info(`skipped active session ${spec.customerId}: ${spec.operatorEmail} is at capacity`);
}

async function findOrCreateOperator(db: Db, spec: SeedOperator): Promise<[Operator, boolean]> {
  const { Operator } = db.models;
  const existing = await Operator.findOne({ where: { email: spec.email } });
  if (existing) return [existing, false];
  // Hashed only when needed: scrypt is deliberately slow.
  const passwordHash = await hashPassword(spec.password);
  const { name, email, role, departments, maxConcurrentSessions } = spec;
  return Operator.findOrCreate({
    where: { email },
    defaults: { name, email, role, departments, maxConcurrentSessions, passwordHash, status: 'offline' },
  });
}

/** One session with its messages and audit trail, all or nothing. False when its operator had no room. */
async function createSession(db: Db, spec: SeedSession, operator: Operator): Promise<boolean> {
  const { Operator, ChatSession, ChatMessage, SessionEvent, SessionAssignment } = db.models;
  const start = Date.now() - spec.startedMinutesAgo * 60_000;
  const at = (minutes: number): Date => new Date(start + minutes * 60_000);
  const assignedAt = at(ASSIGNED_AFTER_MINUTES);

  return db.transaction(async (transaction) => {
    if (!spec.closed) {
      // The same conditional claim the routing uses, so the seed never breaks "activeSessions equals the
      // operator's active sessions, and stays within maxConcurrentSessions" on a database already in use.
      const [claimed] = await Operator.update(
        { activeSessions: literal('active_sessions + 1'), version: literal('version + 1'), lastAssignedAt: assignedAt },
        { where: { id: operator.id, activeSessions: { [Op.lt]: col('max_concurrent_sessions') } }, transaction },
      );
      if (claimed === 0) return false;
    }

    const sessionId = randomUUID();
    const operatorMessages = spec.messages.filter((m) => m.from === 'operator');
    const lastMinute = Math.max(...spec.messages.map((m) => m.minutesAfterStart));
    await ChatSession.create(
      {
        id: sessionId,
        status: spec.closed ? 'closed' : 'active',
        customerId: spec.customerId,
        customerName: spec.customerName,
        customerEmail: spec.customerEmail,
        department: spec.department,
        metadata: { seed: true },
        operatorId: operator.id,
        // Nobody holds the token: a seeded session is there to be looked at by operators, not resumed.
        customerTokenHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
        assignedAt,
        firstResponseAt: operatorMessages.length > 0 ? at(operatorMessages[0].minutesAfterStart) : null,
        lastMessageAt: at(lastMinute),
        closedAt: spec.closed ? at(spec.closed.minutesAfterStart) : null,
        closedBy: spec.closed?.by ?? null,
        closeReason: spec.closed?.reason ?? null,
        rating: spec.closed?.rating ?? null,
        ratingComment: spec.closed?.ratingComment ?? null,
        createdAt: at(0),
      },
      { transaction },
    );

    const system = (content: string, createdAt: Date) => ({ senderType: 'system' as const, senderId: null, type: 'system' as const, content, createdAt });
    const lines = [
      ...spec.messages.map((m) => ({
        senderType: m.from,
        senderId: m.from === 'customer' ? spec.customerId : String(operator.id),
        senderName: m.from === 'customer' ? spec.customerName : operator.name,
        type: 'text' as const,
        content: m.content,
        createdAt: at(m.minutesAfterStart),
      })),
      // Worded as the services word them, so seeded chats look like real ones.
      system(`${operator.name} joined the chat`, assignedAt),
    ];
    const events: Array<{ type: SessionEventType; operatorId: number | null; detail: Record<string, unknown>; createdAt: Date }> = [
      { type: 'created', operatorId: null, detail: { verifiedCustomer: false, seed: true }, createdAt: at(0) },
      { type: 'assigned', operatorId: operator.id, detail: { strategy: 'manual', reason: 'demo data' }, createdAt: assignedAt },
    ];
    if (spec.closed) {
      const { by, reason, rating } = spec.closed;
      const closedAt = at(spec.closed.minutesAfterStart);
      lines.push(system(`Chat closed by the ${by}: ${reason}`, closedAt));
      events.push(
        { type: 'closed', operatorId: operator.id, detail: { closedBy: by, reason }, createdAt: closedAt },
        { type: 'rated', operatorId: null, detail: { rating }, createdAt: closedAt },
      );
    }
    // Inserted in time order so that ids, which clients use as a cursor, follow the conversation.
    lines.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    await ChatMessage.bulkCreate(lines.map((m) => ({ ...m, sessionId })), { transaction });
    await SessionEvent.bulkCreate(events.map((e) => ({ ...e, sessionId })), { transaction });
    await SessionAssignment.create(
      {
        sessionId,
        operatorId: operator.id,
        assignedAt,
        firstResponseAt: operatorMessages.length > 0 ? at(operatorMessages[0].minutesAfterStart) : null,
        endedAt: spec.closed ? at(spec.closed.minutesAfterStart) : null,
      },
      { transaction },
    );
    return true;
  });
}

export async function runSeed(config: Config, out: Output): Promise<number> {
  return withDatabase(config.db, async (db) => {
    const { pending } = await migrationStatus(db);
    if (pending.length > 0) {
      throw new CliError(`the schema is not up to date (${pending.join(', ')} pending): run npm run db:init first`);
    }
    await seedDatabase(db, out);
    return 0;
  });
}

if (require.main === module) runMain(runSeed);
