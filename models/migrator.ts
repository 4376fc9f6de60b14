import type { QueryInterface, Sequelize } from 'sequelize';
import { Umzug, SequelizeStorage } from 'umzug';
import * as initialSchema from './migrations/001-initial-schema';
import * as presenceAndRequeue from './migrations/002-presence-and-requeue';
import * as messageSenderKey from './migrations/003-message-sender-key';
import * as assignmentsAndSenderNames from './migrations/004-assignments-and-sender-names';
import * as attachments from './migrations/005-attachments';
import * as notesLabelsCanned from './migrations/006-notes-labels-canned';
import * as search from './migrations/007-search';
import * as settings from './migrations/008-settings';
import * as mailOutbox from './migrations/009-mail-outbox';
import * as replyMails from './migrations/010-reply-mails';
import * as privacyAndAudit from './migrations/011-privacy-and-audit';
import * as statisticsIndexes from './migrations/012-statistics-indexes';
import * as operatorConnectionLost from './migrations/013-operator-connection-lost';

/** Listed, not globbed, so the same list runs from TypeScript under jest and from compiled JavaScript. */
const MIGRATIONS = [
  { name: '001-initial-schema', module: initialSchema },
  { name: '002-presence-and-requeue', module: presenceAndRequeue },
  { name: '003-message-sender-key', module: messageSenderKey },
  { name: '004-assignments-and-sender-names', module: assignmentsAndSenderNames },
  { name: '005-attachments', module: attachments },
  { name: '006-notes-labels-canned', module: notesLabelsCanned },
  { name: '007-search', module: search },
  { name: '008-settings', module: settings },
  { name: '009-mail-outbox', module: mailOutbox },
  { name: '010-reply-mails', module: replyMails },
  { name: '011-privacy-and-audit', module: privacyAndAudit },
  { name: '012-statistics-indexes', module: statisticsIndexes },
  { name: '013-operator-connection-lost', module: operatorConnectionLost },
];

export type Migrator = Umzug<QueryInterface>;

export function createMigrator(sequelize: Sequelize): Migrator {
  return new Umzug({
    migrations: MIGRATIONS.map(({ name, module }) => ({
      name,
      up: ({ context }) => module.up({ context }),
      down: ({ context }) => module.down({ context }),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
}
