import { QueryTypes, type QueryInterface } from 'sequelize';

/* What the migrations ask of the database's catalogue before they act, so that one stopped half-way runs again. */

/**
 * Asked of the catalogue directly: Sequelize's describeTable fails on SQLite for chat_messages, whose virtual
 * column (003) is in an index but not in PRAGMA table_info.
 */
export async function hasColumn(qi: QueryInterface, table: string, column: string): Promise<boolean> {
  const sql =
    qi.sequelize.getDialect() === 'mysql'
      ? 'SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?'
      : 'SELECT COUNT(*) AS n FROM pragma_table_xinfo(?) WHERE name = ?';
  const [row] = await qi.sequelize.query<{ n: number | string }>(sql, { replacements: [table, column], type: QueryTypes.SELECT });
  return Number(row?.n ?? 0) > 0;
}


/** The database's table names (Sequelize answers names on some dialects, { tableName } objects on others). */
export async function tableNames(qi: QueryInterface): Promise<Set<string>> {
  return new Set(((await qi.showAllTables()) as unknown[]).map((table) => (typeof table === 'string' ? table : (table as { tableName: string }).tableName)));
}

/** Whether a MySQL table has an index of that name. */
export async function hasIndex(qi: QueryInterface, table: string, name: string): Promise<boolean> {
  const [row] = await qi.sequelize.query<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?',
    { replacements: [table, name], type: QueryTypes.SELECT },
  );
  return Number(row?.n ?? 0) > 0;
}
