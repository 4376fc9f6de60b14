import type { Db } from '../../models/db';
import type { Operator } from '../../models';
import { toOperatorDTO } from '../dto';
import type { CacheSnapshot, CachedOperator } from './CacheStore';

export function toCachedOperator(operator: Operator): CachedOperator {
  return { ...toOperatorDTO(operator), version: operator.version };
}

/** Everything the cache holds, read from the database (the truth). */
export async function loadSnapshot(db: Db): Promise<CacheSnapshot> {
  const { Operator, ChatSession } = db.models;
  const [operators, sessions] = await Promise.all([
    Operator.findAll({ where: { disabled: false } }),
    ChatSession.findAll({ attributes: ['id', 'operatorId'], where: { status: 'active' } }),
  ]);
  return {
    operators: operators.map(toCachedOperator),
    sessions: sessions
      .filter((s) => s.operatorId !== null && s.operatorId !== undefined)
      .map((s) => ({ sessionId: s.id, operatorId: Number(s.operatorId) })),
  };
}
