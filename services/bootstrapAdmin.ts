import type { Logger } from 'pino';
import type { Db } from '../models/db';
import { hashPassword } from './passwords';

/**
 * PROTOCOL.md: when no admin exists and ADMIN_EMAIL + ADMIN_PASSWORD are set, create one. Runs at every start
 * and does nothing once an admin exists. Returns whether it created one.
 */
export async function bootstrapAdmin(db: Db, logger: Logger, email?: string, password?: string): Promise<boolean> {
  if (!email || !password) return false;
  const { Operator } = db.models;
  if ((await Operator.count({ where: { role: 'admin' } })) > 0) return false;
  const passwordHash = await hashPassword(password);
  const [admin, created] = await Operator.findOrCreate({
    where: { email: email.toLowerCase() },
    defaults: { name: 'Administrator', email: email.toLowerCase(), passwordHash, role: 'admin' },
  });
  if (!created) await admin.update({ role: 'admin', passwordHash, disabled: false });
  logger.info({ operatorId: admin.id }, 'bootstrap admin ready');
  return true;
}
