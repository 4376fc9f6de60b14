import { DataTypes, type QueryInterface } from 'sequelize';
import { tableNames } from './catalogue';

/**
 * The team's settings (PROTOCOL.md "Business hours and settings"): one row per top-level setting, its value as
 * JSON text, so that a PATCH naming one setting changes that row only. Every process reads them from here.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const tables = await tableNames(qi);
  if (tables.has('settings')) return;
  await qi.createTable(
    'settings',
    {
      name: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
      value: { type: DataTypes.TEXT, allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('settings');
}
