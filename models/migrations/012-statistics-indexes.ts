import type { QueryInterface } from 'sequelize';
import { hasIndex } from './catalogue';

/**
 * Indexes that hold everything `GET /api/operators/stats` reads (services/operators/stats.ts), so that each of its
 * reads walks an index alone instead of fetching a session or an assignment row for every entry. Its reads grow
 * with the day's closed sessions and with every rating: bench:soak's console, asking every four seconds, made
 * MariaDB read 9,000 rows for each of them after 15 minutes, 30–50 ms a read, and the chat messages written
 * meanwhile waited for the CPU.
 * - sessions closed since a time, per operator: (status, closed_at) of 011, with operator_id after them, in its place;
 * - ratings per operator: (operator_id, rating), in the order they are grouped;
 * - waits of the sessions assigned recently: (assigned_at, created_at);
 * - first responses per operator: session_assignments (first_response_at) of 004, with operator_id and assigned_at.
 * Each step checks before it acts, so one stopped half-way runs again.
 */
interface Replacement {
  table: string;
  name: string;
  columns: string[];
  /** The index this one holds the start of, dropped once this one is there (and made again by `down`). */
  replaces?: { name: string; columns: string[] };
}

const INDEXES: Replacement[] = [
  { table: 'chat_sessions', name: 'chat_sessions_closed_operator', columns: ['status', 'closed_at', 'operator_id'], replaces: { name: 'chat_sessions_closed', columns: ['status', 'closed_at'] } },
  { table: 'chat_sessions', name: 'chat_sessions_operator_rating', columns: ['operator_id', 'rating'] },
  { table: 'chat_sessions', name: 'chat_sessions_assigned', columns: ['assigned_at', 'created_at'] },
  {
    table: 'session_assignments',
    name: 'session_assignments_first_response_operator',
    columns: ['first_response_at', 'operator_id', 'assigned_at'],
    replaces: { name: 'session_assignments_first_response', columns: ['first_response_at'] },
  },
];

async function create(qi: QueryInterface, table: string, name: string, columns: string[]): Promise<void> {
  if (qi.sequelize.getDialect() !== 'mysql') await qi.sequelize.query(`CREATE INDEX IF NOT EXISTS ${name} ON ${table} (${columns.join(', ')})`);
  else if (!(await hasIndex(qi, table, name))) await qi.addIndex(table, columns, { name });
}

async function drop(qi: QueryInterface, table: string, name: string): Promise<void> {
  if (qi.sequelize.getDialect() !== 'mysql') await qi.sequelize.query(`DROP INDEX IF EXISTS ${name}`);
  else if (await hasIndex(qi, table, name)) await qi.sequelize.query(`ALTER TABLE ${table} DROP INDEX ${name}`);
}

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const { table, name, columns, replaces } of INDEXES) {
    await create(qi, table, name, columns);
    if (replaces) await drop(qi, table, replaces.name);
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const { table, name, replaces } of [...INDEXES].reverse()) {
    if (replaces) await create(qi, table, replaces.name, replaces.columns);
    await drop(qi, table, name);
  }
}
