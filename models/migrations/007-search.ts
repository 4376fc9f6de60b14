import type { QueryInterface } from 'sequelize';
import { hasIndex } from './catalogue';

/**
 * Full-text search (PROTOCOL.md "Search", DESIGN.md decision 14): the database's own index over message text
 * and over the customer's name and email.
 * - MySQL/MariaDB: FULLTEXT indexes. They are built with stopwords off (the setting is read when an index is
 *   created), so that "who", "com" or "will" can be searched for like any other word. A customer's email is
 *   also indexed as a whole, for an exact look-up.
 * - Both: sessions indexed by creation, so that the newest can be read first (models/queries/search.ts).
 * - SQLite: FTS5 tables kept by triggers. Messages are external content (the text is not stored twice, the
 *   message id is the FTS rowid); sessions keep their own copy of the two fields under the session's rowid.
 *   Both fold case and accents (unicode61, remove_diacritics 2), as MySQL's utf8mb4_unicode_ci does.
 * Every step checks before it acts, so one stopped half-way runs again.
 */
const TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'";

const SQLITE_STATEMENTS = [
  `CREATE VIRTUAL TABLE IF NOT EXISTS chat_messages_fts USING fts5(content, content = 'chat_messages', content_rowid = 'id', ${TOKENIZER})`,
  `CREATE TRIGGER IF NOT EXISTS chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN
     INSERT INTO chat_messages_fts (rowid, content) VALUES (new.id, new.content);
   END`,
  `CREATE TRIGGER IF NOT EXISTS chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN
     INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
   END`,
  `CREATE TRIGGER IF NOT EXISTS chat_messages_fts_update AFTER UPDATE OF content ON chat_messages BEGIN
     INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
     INSERT INTO chat_messages_fts (rowid, content) VALUES (new.id, new.content);
   END`,
  "INSERT INTO chat_messages_fts (chat_messages_fts) VALUES ('rebuild')",
  // The session's rowid links the two: chat_sessions has a text key, and FTS5 rows are found by integer.
  `CREATE VIRTUAL TABLE IF NOT EXISTS chat_sessions_fts USING fts5(customer_name, customer_email, ${TOKENIZER})`,
  `CREATE TRIGGER IF NOT EXISTS chat_sessions_fts_insert AFTER INSERT ON chat_sessions BEGIN
     INSERT INTO chat_sessions_fts (rowid, customer_name, customer_email) VALUES (new.rowid, new.customer_name, new.customer_email);
   END`,
  `CREATE TRIGGER IF NOT EXISTS chat_sessions_fts_delete AFTER DELETE ON chat_sessions BEGIN
     DELETE FROM chat_sessions_fts WHERE rowid = old.rowid;
   END`,
  `CREATE TRIGGER IF NOT EXISTS chat_sessions_fts_update AFTER UPDATE OF customer_name, customer_email ON chat_sessions BEGIN
     UPDATE chat_sessions_fts SET customer_name = new.customer_name, customer_email = new.customer_email WHERE rowid = new.rowid;
   END`,
  'DELETE FROM chat_sessions_fts',
  'INSERT INTO chat_sessions_fts (rowid, customer_name, customer_email) SELECT rowid, customer_name, customer_email FROM chat_sessions',
  'CREATE INDEX IF NOT EXISTS chat_sessions_customer_email ON chat_sessions (customer_email)',
  'CREATE INDEX IF NOT EXISTS chat_sessions_created ON chat_sessions (created_at)',
];

/** MySQL's indexes: table, name, definition (bench:search drops and adds the message index to measure its cost). */
export const MYSQL_INDEXES: ReadonlyArray<readonly [table: string, name: string, definition: string]> = [
  ['chat_messages', 'chat_messages_content_ft', 'FULLTEXT INDEX chat_messages_content_ft (content)'],
  ['chat_sessions', 'chat_sessions_customer_ft', 'FULLTEXT INDEX chat_sessions_customer_ft (customer_name, customer_email)'],
  ['chat_sessions', 'chat_sessions_customer_email', 'INDEX chat_sessions_customer_email (customer_email)'],
  ['chat_sessions', 'chat_sessions_created', 'INDEX chat_sessions_created (created_at)'],
];
/** Set on the connection that creates a FULLTEXT index: the index keeps it, so every word can be searched for. */
export const NO_STOPWORDS = 'SET SESSION innodb_ft_enable_stopword = OFF';

/**
 * The statement adding one of MYSQL_INDEXES. A FULLTEXT index is added with the table rebuilt (FORCE): on 100
 * sessions written while the index was in place, MariaDB 10.11 dropped it and built it again in place empty (no
 * name found) until the table was rebuilt. A rebuild is what the first FULLTEXT index of a table costs anyway.
 */
export const addIndexStatement = (table: string, definition: string): string => `ALTER TABLE ${table} ADD ${definition}${definition.startsWith('FULLTEXT') ? ', FORCE' : ''}`;

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const sequelize = qi.sequelize;
  if (sequelize.getDialect() !== 'mysql') {
    for (const statement of SQLITE_STATEMENTS) await sequelize.query(statement);
    return;
  }
  for (const [table, name, definition] of MYSQL_INDEXES) {
    if (await hasIndex(qi, table, name)) continue;
    // One connection for both: the stopword setting is the session's, and the index keeps what it was.
    await sequelize.transaction(async (transaction) => {
      await sequelize.query(NO_STOPWORDS, { transaction });
      await sequelize.query(addIndexStatement(table, definition), { transaction });
    });
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  const sequelize = qi.sequelize;
  if (sequelize.getDialect() !== 'mysql') {
    for (const trigger of ['chat_messages_fts_insert', 'chat_messages_fts_delete', 'chat_messages_fts_update', 'chat_sessions_fts_insert', 'chat_sessions_fts_delete', 'chat_sessions_fts_update']) {
      await sequelize.query(`DROP TRIGGER IF EXISTS ${trigger}`);
    }
    await sequelize.query('DROP TABLE IF EXISTS chat_messages_fts');
    await sequelize.query('DROP TABLE IF EXISTS chat_sessions_fts');
    await sequelize.query('DROP INDEX IF EXISTS chat_sessions_customer_email');
    await sequelize.query('DROP INDEX IF EXISTS chat_sessions_created');
    return;
  }
  for (const [table, name] of MYSQL_INDEXES) {
    if (await hasIndex(qi, table, name)) await sequelize.query(`ALTER TABLE ${table} DROP INDEX ${name}`);
  }
}
