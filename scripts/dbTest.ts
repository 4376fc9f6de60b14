import fs from 'node:fs';
import type { Model, ModelStatic } from 'sequelize';
import type { Config } from '../config';
import type { Db } from '../models/db';
import { databaseVersion, describeDatabase, describeError, migrationStatus, plural, runMain, withDatabase, type Output } from './cli';

interface Check {
  name: string;
  /** Resolves with what it saw; rejects with what is wrong. */
  run(): Promise<string>;
}

/** Reads the database and reports on it; writes nothing. Exit code 1 when any check fails. */
export async function testDatabase(config: Config, out: Output): Promise<number> {
  const where = describeDatabase(config.db);
  // Connecting would create an empty SQLite file, and this command changes nothing.
  if (config.db.dialect === 'sqlite' && config.db.storage !== ':memory:' && !fs.existsSync(config.db.storage)) {
    out.error(`${where} does not exist: run npm run db:init first`);
    return 1;
  }
  return withDatabase(config.db, async (db) => {
    out.info(`ok    connected to ${where} (${db.dialect} ${await databaseVersion(db)})`);
    const checks = [migrationsCheck(db), ...associationChecks(db), activeCountsCheck(db)];
    let failed = 0;
    for (const check of checks) {
      try {
        out.info(`ok    ${check.name}: ${await check.run()}`);
      } catch (error) {
        failed += 1;
        out.info(`FAIL  ${check.name}: ${describeError(error)}`);
      }
    }
    if (failed > 0) {
      out.error(`${failed} of ${plural(checks.length, 'check')} failed on ${where}`);
      return 1;
    }
    out.info(`all ${plural(checks.length, 'check')} passed`);
    return 0;
  });
}

function migrationsCheck(db: Db): Check {
  return {
    name: 'migrations',
    async run() {
      const { applied, pending } = await migrationStatus(db);
      if (pending.length > 0) throw new Error(`${pending.length} pending (${pending.join(', ')}): run npm run db:init`);
      return `${applied.length} applied (${applied.join(', ')}), none pending`;
    },
  };
}

/** One check per association of models/index.ts, each proving with a real join that its keys line up. */
function associationChecks(db: Db): Check[] {
  const { Operator, ChatSession, ChatMessage, SessionEvent, SessionAssignment } = db.models;
  const pairs: Array<[ModelStatic<Model>, string]> = [
    [Operator, 'sessions'],
    [ChatSession, 'operator'],
    [ChatSession, 'messages'],
    [ChatMessage, 'session'],
    [ChatSession, 'events'],
    [SessionEvent, 'session'],
    [ChatSession, 'assignments'],
    [SessionAssignment, 'session'],
  ];
  return pairs.map(([source, as]) => ({
    name: `${source.name} → ${as}`,
    run: () => checkAssociation(source, as),
  }));
}

async function checkAssociation(source: ModelStatic<Model>, as: string): Promise<string> {
  const association = source.associations[as];
  if (!association) throw new Error(`the association is not defined`);
  const { foreignKey, target } = association;
  const many = association.associationType === 'HasMany';
  const targetKey = target.primaryKeyAttribute;
  // required: a sample that has related rows, when there is one; the keys alone keep a busy row cheap to load.
  const row = await source.findOne({
    include: [{ association: as, required: true, attributes: many ? [targetKey, foreignKey] : [targetKey] }],
  });
  const sourceName = source.name;
  if (!row) return `query ran; no ${sourceName} has any ${as} yet`;

  const id = String(row.get(source.primaryKeyAttribute));
  const included = row.get(as) as Model | Model[] | null;
  const related = Array.isArray(included) ? included : included ? [included] : [];
  if (related.length === 0) throw new Error(`${sourceName} ${id} matched the join but came back without ${as}`);
  for (const other of related) {
    const [expected, actual] = many
      ? [id, String(other.get(foreignKey))]
      : [String(other.get(targetKey)), String(row.get(foreignKey))];
    if (expected !== actual) throw new Error(`${sourceName} ${id} got ${as} with key ${actual}, expected ${expected}`);
  }
  return many
    ? `${sourceName} ${id} has ${related.length} ${as}`
    : `${sourceName} ${id} → ${as} ${String(related[0].get(targetKey))}`;
}

/** The counter routing relies on: each operator's activeSessions is the number of its active sessions. */
function activeCountsCheck(db: Db): Check {
  return {
    name: 'active session counts',
    async run() {
      const { Operator, ChatSession } = db.models;
      const [operators, counts] = await Promise.all([
        Operator.findAll({ attributes: ['id', 'email', 'activeSessions', 'maxConcurrentSessions'] }),
        ChatSession.count({ where: { status: 'active' }, group: ['operatorId'] }),
      ]);
      const problems: string[] = [];
      const actual = new Map<number, number>();
      for (const { operatorId, count } of counts) {
        if (operatorId === null) problems.push(`${plural(count, 'active session')} without an operator`);
        else actual.set(Number(operatorId), count);
      }
      for (const operator of operators) {
        const active = actual.get(operator.id) ?? 0;
        actual.delete(operator.id);
        if (operator.activeSessions !== active) {
          problems.push(`${operator.email} records ${operator.activeSessions} active but has ${active}`);
        }
        if (active > operator.maxConcurrentSessions) {
          problems.push(`${operator.email} holds ${active}, over its limit of ${operator.maxConcurrentSessions}`);
        }
      }
      for (const [operatorId, active] of actual) problems.push(`${plural(active, 'active session')} of missing operator ${operatorId}`);
      if (problems.length > 0) throw new Error(problems.join('; '));
      const total = counts.reduce((sum, c) => sum + c.count, 0);
      return `${plural(operators.length, 'operator')}, ${plural(total, 'active session')}, counters match`;
    },
  };
}

if (require.main === module) runMain(testDatabase);
