import type { Connection as MysqlConnection, QueryError, ResultSetHeader } from 'mysql2';
import { DatabaseError, QueryTypes, UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import { defineModels, type Models } from './index';

const DEADLOCK_RETRIES = 8;

/** A failure that says nothing about the work itself: the same transaction may simply run again. */
export function isRetryable(error: unknown): boolean {
  const parent = (error as { parent?: { code?: string; errno?: number } } | null)?.parent;
  // ER_LOCK_DEADLOCK and ER_LOCK_WAIT_TIMEOUT: the transaction was rolled back and may simply run again.
  return parent?.code === 'ER_LOCK_DEADLOCK' || parent?.code === 'ER_LOCK_WAIT_TIMEOUT' || parent?.code === 'SQLITE_BUSY';
}

/** A mysql2 error as Sequelize reports it, so that callers and `isRetryable` read both alike. */
function asSequelizeError(error: QueryError, sql: string): Error {
  const parent = Object.assign(error, { sql });
  return error.code === 'ER_DUP_ENTRY' ? new UniqueConstraintError({ parent, message: error.message }) : new DatabaseError(parent);
}

/**
 * The data layer handed to services: the models, and `transaction()` that runs a unit of work once
 * (retried whole on a deadlock). On SQLite, which has one writer at a time and a single shared connection
 * for `:memory:`, transactions of this process run one after another.
 */
export class Db {
  readonly models: Models;
  readonly dialect: 'sqlite' | 'mysql';
  private sqliteQueue: Promise<unknown> = Promise.resolve();
  /** insertIdStep's answer, asked once. */
  private idStep: Promise<number | null> | null = null;

  constructor(readonly sequelize: Sequelize) {
    this.models = defineModels(sequelize);
    this.dialect = sequelize.getDialect() === 'sqlite' ? 'sqlite' : 'mysql';
  }

  /**
   * How far apart the ids of one multi-row INSERT are, when they can be computed from the first one instead of
   * read back: MySQL/MariaDB hand a multi-row INSERT consecutive auto-increment values (one `step` apart)
   * under innodb_autoinc_lock_mode 0 or 1 (MariaDB's default), not under 2 (MySQL 8's default). null: read back.
   * SQLite is always read back: it runs in the process, so a read costs no round trip. Asked once.
   */
  insertIdStep(): Promise<number | null> {
    this.idStep ??= this.readInsertIdStep().catch((error: unknown) => {
      // Asked again next time: a failed read is not an answer.
      this.idStep = null;
      throw error;
    });
    return this.idStep;
  }

  private async readInsertIdStep(): Promise<number | null> {
    if (this.dialect !== 'mysql') return null;
    // SHOW VARIABLES rather than @@names: a server without one of them answers without it instead of failing.
    const rows = await this.sequelize.query<{ Variable_name: string; Value: string }>(
      "SHOW VARIABLES WHERE Variable_name IN ('innodb_autoinc_lock_mode', 'auto_increment_increment')",
      { type: QueryTypes.SELECT },
    );
    const value = (name: string): number => Number(rows.find((r) => r.Variable_name === name)?.Value ?? Number.NaN);
    const lockMode = value('innodb_autoinc_lock_mode');
    const step = value('auto_increment_increment');
    return lockMode <= 1 && step >= 1 ? step : null;
  }

  async transaction<T>(work: (t: Transaction) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') {
      const run = this.sqliteQueue.then(() => this.withTransactionRetry(work));
      this.sqliteQueue = run.catch(() => undefined);
      return run;
    }
    return this.withTransactionRetry(work);
  }

  /**
   * Work written as single statements, each its own commit (the message path: its grouped INSERT and stamps,
   * where a transaction's extra round trips would be paid by every sender). On MySQL it runs as it is, with
   * `transaction` undefined. On SQLite it runs as one transaction of this process's queue: Sequelize shares one
   * connection there for `:memory:`, where a statement outside the queue could land inside another unit's open
   * transaction (and vanish with its rollback), and a file database's writers would stop each other's deferred
   * transactions with SQLITE_BUSY.
   */
  statements<T>(work: (transaction: Transaction | undefined) => Promise<T>): Promise<T> {
    return this.dialect === 'sqlite' ? this.transaction((t) => work(t)) : work(undefined);
  }

  /**
   * One statement of `statements()` work, run again when it is chosen as a deadlock victim, which rolls that
   * statement back whole (never a sequence: an earlier statement may have committed). Inside a transaction
   * (SQLite) it runs once: Db.transaction retries the transaction as a whole.
   */
  retrying<T>(transaction: Transaction | undefined, work: () => Promise<T>): Promise<T> {
    return transaction ? work() : this.withRetry(work);
  }

  private withTransactionRetry<T>(work: (t: Transaction) => Promise<T>): Promise<T> {
    return this.withRetry(() => this.sequelize.transaction((t) => work(t)));
  }

  private async withRetry<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!isRetryable(error) || attempt >= DEADLOCK_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20 * attempt));
      }
    }
  }

  /** Rows of one SELECT of `statements()` work (see `execute`). */
  async selectRows<T extends object>(sql: string, values: unknown[], transaction: Transaction | undefined): Promise<T[]> {
    if (this.dialect === 'mysql' && !transaction) return this.direct<T[]>(sql, values);
    return this.sequelize.query<T>(sql, { replacements: values, type: QueryTypes.SELECT, transaction });
  }

  /**
   * One write of `statements()` work; resolves to the first inserted id on MySQL (0 on SQLite, whose ids are
   * read back). On MySQL, outside a transaction, it goes to a pooled connection through mysql2 alone: Sequelize's
   * query path formats the SQL twice (its replacements, then mysql2's scan of the whole text, message
   * contents included) and takes a stack trace per query, a tenth of the server's CPU at 2,000 msg/s
   * (bench:realtime profile). Placeholders and escaping are mysql2's, as under Sequelize.
   */
  async execute(sql: string, values: unknown[], transaction: Transaction | undefined): Promise<number> {
    if (this.dialect === 'sqlite') {
      await this.sequelize.query(sql, { replacements: values, transaction });
      return 0;
    }
    if (!transaction) return (await this.direct<ResultSetHeader>(sql, values)).insertId;
    const [insertId] = await this.sequelize.query(sql, { replacements: values, transaction, type: QueryTypes.INSERT });
    return Number(insertId);
  }

  private async direct<T>(sql: string, values: unknown[]): Promise<T> {
    const { connectionManager } = this.sequelize;
    // Sequelize types its pooled connections as `object`; on this dialect they are mysql2's.
    const connection = (await connectionManager.getConnection({ type: 'write' })) as MysqlConnection;
    try {
      return await new Promise<T>((resolve, reject) => {
        connection.query(sql, values, (error: QueryError | null, result: unknown) => (error ? reject(asSequelizeError(error, sql)) : resolve(result as T)));
      });
    } finally {
      connectionManager.releaseConnection(connection);
    }
  }

  /** A cheap round trip, for /ready and test-connections. */
  async ping(): Promise<void> {
    await this.sequelize.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.sequelize.close();
  }
}
