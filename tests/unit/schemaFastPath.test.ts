import type { Schema } from 'express-validator';
import { loadConfig } from '../../config';
import { buildSchemas } from '../../middleware/schemas';
import { compileFastPath, type Target } from '../../middleware/schemaFastPath';
import { runChains } from '../../middleware/validation';
import { ValidationError } from '../../services/errors';

/**
 * The fast path must never accept what express-validator refuses, nor answer differently: for every schema of
 * the app and thousands of generated inputs, whenever the fast path answers, express-validator gives the same
 * clean input. And it must not give up on plain valid input, or it would be a fast path in name only.
 */

const config = loadConfig({ MAX_MESSAGE_LENGTH: '50' });
const schemas = buildSchemas(config) as unknown as Record<string, Schema>;

/** Values a client might send in any field: valid ones for many fields, and every kind of wrong. */
const POOL: unknown[] = [
  'hello',
  '  padded  ',
  '',
  '   ',
  'x'.repeat(50),
  'x'.repeat(51),
  'a\u0000b',
  'text',
  'image',
  'video',
  'online',
  'away',
  'offline',
  'busy',
  'admin',
  'operator',
  'round-robin',
  'personal',
  'shared',
  'least-busy',
  'sales',
  'sales team.1',
  'bad/department',
  'cmid:1-a.b_c',
  'has space',
  'é',
  '😀'.repeat(30),
  '12',
  '-3',
  '0',
  '1.5',
  '2147483648',
  'true',
  'false',
  '2026-11-25T20:00:00Z',
  '9b2f1c1e-8d2a-4c3b-9f4e-2a1b3c4d5e6f',
  '9b2f1c1e-8d2a-1c3b-9f4e-2a1b3c4d5e6f',
  '9B2F1C1E-8D2A-4C3B-9F4E-2A1B3C4D5E6F',
  'not-a-uuid',
  'person@example.com',
  0,
  1,
  5,
  6,
  42,
  -1,
  1.5,
  2_147_483_647,
  2_147_483_648,
  Number.NaN,
  true,
  false,
  null,
  undefined,
  [],
  ['online'],
  {},
  { a: 1 },
];

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function locationOf(field: Schema[string]): keyof Target {
  const where = Array.isArray(field.in) ? field.in[0] : field.in;
  return where === 'params' || where === 'query' ? where : 'body';
}

function targetFor(schema: Schema, pick: (name: string) => unknown): Target {
  const target: Target = { body: {}, params: {}, query: {} };
  for (const [name, field] of Object.entries(schema)) {
    const value = pick(name);
    if (value !== undefined) target[locationOf(field)][name] = value;
  }
  return target;
}

/** express-validator's answer: the clean input (null when it refuses) and the fields it found wrong. */
async function slowAnswer(schema: Schema, target: Target): Promise<{ input: Record<string, unknown> | null; bad: Set<string> }> {
  try {
    return { input: await runChains(schema, structuredClone(target)), bad: new Set() };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { input: null, bad: new Set((error.details ?? []).map((d) => d.field)) };
  }
}

const isPlain = (value: unknown): boolean => value === undefined || value === null || typeof value !== 'object';

describe('schema fast path', () => {
  const compiled = Object.entries(schemas).filter(([, schema]) => compileFastPath(schema) !== null);

  it('compiles the schemas of the hot events: messages, typing, read marks, sync', () => {
    const names = compiled.map(([name]) => name);
    expect(names).toEqual(
      expect.arrayContaining(['postMessage', 'socketSend', 'operatorSend', 'socketTyping', 'operatorTyping', 'socketRead', 'operatorRead', 'socketSync', 'operatorSync']),
    );
  });

  it.each(Object.keys(schemas))('%s: whenever the fast path answers, express-validator answers the same', async (name) => {
    const schema = schemas[name] as Schema;
    const fast = compileFastPath(schema);
    if (!fast) return;
    const next = random(name.length * 7919 + 17);
    const choose = <T>(values: T[]): T => values[Math.floor(next() * values.length)] as T;
    const fields = Object.keys(schema);
    /** Per field, values express-validator found nothing wrong with: drawn from half the time, so many inputs are valid. */
    const good = new Map<string, unknown[]>(fields.map((f) => [f, []]));
    let agreedValid = 0;
    let validPlain = 0;
    for (let i = 0; i < 1500; i++) {
      const base = new Map(fields.map((f) => [f, next() < 0.5 && (good.get(f) ?? []).length > 0 ? choose(good.get(f) ?? []) : choose(POOL)]));
      const target = targetFor(schema, (f) => base.get(f));
      const { input: expected, bad } = await slowAnswer(schema, target);
      for (const f of fields) if (!bad.has(f)) good.get(f)?.push(base.get(f));
      const answer = fast(structuredClone(target));
      if (answer !== null) {
        expect({ input: target, answer }).toStrictEqual({ input: target, answer: expected });
        agreedValid++;
      }
      const plain = [...base.values()].every(isPlain);
      if (expected !== null && plain) {
        validPlain++;
        // Valid input of plain values is never left to the slow path.
        expect({ input: target, answer }).toStrictEqual({ input: target, answer: expected });
      }
    }
    expect(agreedValid).toBe(validPlain);
    expect(validPlain).toBeGreaterThan(10);
  });

  it('answers plain valid messages itself, with the clean values', () => {
    const send = compileFastPath(schemas.operatorSend as Schema);
    const body = { sessionId: '9b2f1c1e-8d2a-4c3b-9f4e-2a1b3c4d5e6f', content: 'Hello', clientMessageId: 'c-1', extra: 'ignored' };
    expect(send?.({ body, params: {}, query: {} })).toStrictEqual({ sessionId: body.sessionId, content: 'Hello', clientMessageId: 'c-1' });
    const read = compileFastPath(schemas.socketRead as Schema);
    expect(read?.({ body: { upToId: 12 }, params: {}, query: {} })).toStrictEqual({ upToId: 12 });
    expect(read?.({ body: { upToId: '12' }, params: {}, query: {} })).toBeNull();
  });
});
