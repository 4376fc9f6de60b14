import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../models/db';
import { hashPassword } from './passwords';

/** The account a first `npm start` makes so that the console can be tried at once (development only). */
export const FIRST_RUN_ADMIN_EMAIL = 'owner@example.com';

/**
 * PROTOCOL.md: when no admin exists and ADMIN_EMAIL + ADMIN_PASSWORD are set, create one. Runs at every start
 * and does nothing once an admin exists. Returns whether it created one.
 *
 * Without them, a development server on an empty database (a newcomer's first `npm start`) makes
 * owner@example.com with a random password and says it once in the log, like other servers' first-run
 * passwords: otherwise nobody could log in to the console. Never in production, never a fixed password.
 */
export async function bootstrapAdmin(db: Db, logger: Logger, email?: string, password?: string, firstRun = false): Promise<boolean> {
  const { Operator } = db.models;
  if ((!email || !password) && firstRun && (await Operator.count()) === 0) {
    const generated = randomBytes(9).toString('base64url');
    await Operator.create({ name: 'Administrator', email: FIRST_RUN_ADMIN_EMAIL, passwordHash: await hashPassword(generated), role: 'admin' });
    logger.warn(`first run: log in to /console as ${FIRST_RUN_ADMIN_EMAIL} with the password ${generated} (shown once; set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own)`);
    return true;
  }
  if (!email || !password) return false;
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
