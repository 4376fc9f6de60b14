import type { Transaction } from 'sequelize';
import type { Db } from '../db';
import { sqlDate } from './messages';

/** The settings table (migration 008): each top-level setting a row, its value JSON. */

export async function selectSettings(db: Db, transaction?: Transaction): Promise<Map<string, unknown>> {
  const rows = await db.selectRows<{ name: string; value: string }>('SELECT name, value FROM settings', [], transaction);
  return new Map(rows.map((row) => [row.name, JSON.parse(row.value) as unknown]));
}

/** Writes the settings given, each replacing its row (the others stay as they are). */
export async function writeSettings(db: Db, values: Record<string, unknown>, at: Date, transaction: Transaction): Promise<void> {
  for (const [name, value] of Object.entries(values)) {
    await db.execute('DELETE FROM settings WHERE name = ?', [name], transaction);
    await db.execute('INSERT INTO settings (name, value, updated_at) VALUES (?, ?, ?)', [name, JSON.stringify(value), sqlDate(db, at)], transaction);
  }
}
