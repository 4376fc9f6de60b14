import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, type Options } from 'sequelize';
import type { DatabaseConfig } from './index';

/** Builds the Sequelize instance for the configured dialect; connects lazily. */
export function createSequelize(db: DatabaseConfig): Sequelize {
  const common: Options = {
    logging: false,
    define: { underscored: true },
    pool: { max: db.poolMax, min: 0, acquire: 10_000, idle: 10_000 },
  };
  if (db.dialect === 'sqlite') {
    if (db.storage !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(db.storage)), { recursive: true });
    const sequelize = new Sequelize({ ...common, dialect: 'sqlite', storage: db.storage });
    // Sequelize opens one SQLite connection per transaction and runs no connect hooks for SQLite, so the busy
    // timeout is set on each connection as it is handed out: writers then wait for each other instead of
    // failing at once with SQLITE_BUSY. (WAL, set once at start, is kept by the file itself.)
    type SqliteConnection = { configure(option: 'busyTimeout', ms: number): void };
    const manager = sequelize.connectionManager as unknown as {
      getConnection(options?: object): Promise<SqliteConnection>;
    };
    const getConnection = manager.getConnection.bind(manager);
    manager.getConnection = async (options?: object) => {
      const connection = await getConnection(options);
      connection.configure('busyTimeout', 5_000);
      return connection;
    };
    return sequelize;
  }
  return new Sequelize({
    ...common,
    dialect: 'mysql',
    host: db.host,
    port: db.port,
    database: db.name,
    username: db.user,
    password: db.password,
    timezone: '+00:00',
    dialectOptions: { charset: 'utf8mb4', connectTimeout: 5_000, dateStrings: false },
  });
}
