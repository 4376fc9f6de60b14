import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Db } from '../../models/db';
import { hashPassword } from './passwords';

/** The account a first `npm start` makes so that the console can be tried at once. */
export const FIRST_RUN_ADMIN_EMAIL = 'owner@example.com';

/**
 * PROTOCOL.md: when no admin exists and ADMIN_EMAIL + ADMIN_PASSWORD are set, create one. Runs at every start
 * and does nothing once an admin exists. Returns whether it created one.
 *
 * Without them, on a newcomer's first `npm start` (`firstRunFile`: the embedded SQLite default outside
 * production, on an empty database) it makes owner@example.com with a random password, written to that file
 * (readable by its owner only) whose path the log gives: nobody could log in to the console otherwise, and a
 * password never goes into the log itself.
 */
export async function bootstrapAdmin(db: Db, logger: Logger, email?: string, password?: string, firstRunFile?: string): Promise<boolean> {
  const { Operator } = db.models;
  if ((!email || !password) && firstRunFile && (await Operator.count()) === 0) {
    const generated = randomBytes(9).toString('base64url');
    await Operator.create({ name: 'Administrator', email: FIRST_RUN_ADMIN_EMAIL, passwordHash: await hashPassword(generated), role: 'admin' });
    await writeFile(firstRunFile, `${FIRST_RUN_ADMIN_EMAIL}\n${generated}\n`, { mode: 0o600 });
    logger.warn({ file: firstRunFile }, `first run: log in to /console as ${FIRST_RUN_ADMIN_EMAIL} with the password in ${firstRunFile} (set ADMIN_EMAIL and ADMIN_PASSWORD to choose your own)`);
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
