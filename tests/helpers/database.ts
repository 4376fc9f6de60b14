import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config';
import { createSequelize } from '../../config/database';
import { Db } from '../../models/db';
import { createMigrator, type Migrator } from '../../models/migrator';
import type { Backend, ProvisionedBackend } from './backends';

export interface TestDatabase {
  db: Db;
  migrator: Migrator;
  provisioned: ProvisionedBackend;
  /** Closes the pool and drops the database. */
  close(): Promise<void>;
}

/**
 * A Db over a fresh database of the backend, built the way the server builds it (loadConfig → createSequelize),
 * migrated unless `migrate: false`. Pass `provisioned` to open the database of a deployment that already exists.
 */
export async function openTestDatabase(
  backend: Backend,
  options: { migrate?: boolean; provisioned?: ProvisionedBackend } = {},
): Promise<TestDatabase> {
  const provisioned = options.provisioned ?? (await backend.provision());
  const ownsDatabase = options.provisioned === undefined;
  const db = new Db(createSequelize(loadConfig(provisioned.env).db));
  const migrator = createMigrator(db.sequelize);
  if (options.migrate !== false) {
    try {
      await migrator.up();
    } catch (error) {
      // Nothing of a database that failed to migrate stays open or behind.
      await db.close();
      if (ownsDatabase) await provisioned.dispose();
      throw error;
    }
  }
  return {
    db,
    migrator,
    provisioned,
    async close() {
      await db.close();
      if (ownsDatabase) await provisioned.dispose();
    },
  };
}

let operatorCounter = 0;

/** An operator row with unique email; `overrides` wins. */
export function operatorRow(overrides: Partial<{ name: string; email: string; status: 'online' | 'busy' | 'offline'; role: 'operator' | 'admin'; departments: string[]; maxConcurrentSessions: number }> = {}) {
  operatorCounter += 1;
  return {
    name: `Operator ${operatorCounter}`,
    email: `operator${operatorCounter}.${randomUUID().slice(0, 8)}@example.com`,
    passwordHash: 'not-a-real-hash',
    ...overrides,
  };
}

/** A session row (waiting, no operator) with a fresh UUID; `overrides` wins. */
export function sessionRow(overrides: Record<string, unknown> = {}) {
  return { id: randomUUID(), customerTokenHash: 'f'.repeat(64), ...overrides };
}

/**
 * Like backend.provision(), but a SQLite database lives in a temporary file instead of `:memory:`, so that a
 * second connection (a seeding Db, a second server) sees the same data.
 */
export async function provisionShared(backend: Backend): Promise<ProvisionedBackend> {
  const provisioned = await backend.provision();
  if (provisioned.env.DB_DIALECT !== 'sqlite') return provisioned;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-test-db-'));
  return {
    env: { ...provisioned.env, DB_STORAGE: path.join(dir, 'chat.sqlite') },
    async dispose() {
      await provisioned.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One migrated database for the describe this is called in (its tests each write rows of their own); `use` gets it. */
export function databasePerFile(backend: Backend, use: (database: TestDatabase) => void): void {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await openTestDatabase(backend);
    use(database);
  });
  afterAll(async () => {
    await database?.close();
  });
}
