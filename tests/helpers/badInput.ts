import { randomUUID } from 'node:crypto';
import type request from 'supertest';
import type { ParamSchema } from 'express-validator';
import type { RegisteredRoute } from './routes';

/**
 * What the bad-input suite sends: each route's fields as its express-validator schema declares them, and for
 * each field, values that are wrong for it in a body, a query string or a path; and what a response is reduced to.
 */

export const HUGE = 'x'.repeat(10_001); // longer than any string field allows, well under the body limit
export const NESTED = { nested: { deeper: [1, { a: 'b' }] } };
export const BODY_METHODS = new Set(['post', 'put', 'patch']);

export type Location = 'body' | 'query' | 'params';
export type Kind = 'string' | 'integer' | 'array' | 'object' | 'boolean' | 'enum' | 'uuid' | 'date';

export interface Field {
  name: string;
  location: Location;
  kind: Kind;
  required: boolean;
  schema: ParamSchema;
}

/** What the route's express-validator schema says about each field. */
export function fieldsOf(route: RegisteredRoute): Field[] {
  const schema = route.spec.schema ?? {};
  return Object.entries(schema)
    .filter(([name]) => !name.startsWith('_')) // cross-field checks, not fields a client sends
    .map(([name, field]) => {
      const location = ((field.in as Location[] | undefined) ?? ['body'])[0] as Location;
      const has = (key: string): boolean => (field as Record<string, unknown>)[key] !== undefined;
      const kind: Kind = has('isUUID')
        ? 'uuid'
        : has('isInt')
          ? 'integer'
          : has('isArray')
            ? 'array'
            : has('isObject')
              ? 'object'
              : has('isBoolean')
                ? 'boolean'
                : has('isIn')
                  ? 'enum'
                  : has('isISO8601')
                    ? 'date'
                    : 'string';
      return { name, location, kind, required: !field.optional, schema: field };
    });
}

const intBounds = (field: Field): { min?: number; max?: number } =>
  ((field.schema.isInt as { options?: { min?: number; max?: number } } | undefined)?.options ?? {});

const enumValues = (field: Field): string[] => ((field.schema.isIn as { options?: string[][] } | undefined)?.options?.[0] ?? []) as string[];

/** Values that are wrong for a field sent in a JSON body. */
export function badBodyValues(route: RegisteredRoute, field: Field): unknown[] {
  return valuesOfWrongKind(route, field).filter((value) => value !== null || !acceptsNull(field));
}

/** A field whose null means something (PATCH /api/settings' businessHours: none) is not refused for it. */
const acceptsNull = (field: Field): boolean => (field.schema.optional as { options?: { values?: string } } | undefined)?.options?.values === 'null';

function valuesOfWrongKind(route: RegisteredRoute, field: Field): unknown[] {
  const common = [null, NESTED, [], true];
  switch (field.kind) {
    case 'string':
      return [...common, 123, 0, ['a'], HUGE, 'nul\u0000byte', ...formatCases(route, field.name)];
    case 'integer': {
      const { min = 0, max = 2 ** 31 } = intBounds(field);
      return [...common, '5', 'abc', 1.5, min - 1, max + 1, [1], HUGE];
    }
    case 'array':
      return [null, NESTED, true, 'sales', 123, [123], [null], ['<bad/>'], [HUGE], new Array(51).fill('a')];
    case 'object':
      return [null, [], true, 123, '{"a":1}', [NESTED], { big: 'x'.repeat(5000) }];
    case 'boolean':
      return [null, NESTED, [], 'true', 'false', 1, 0, [true]];
    case 'enum':
      return [...common, 'bogus', 123, (enumValues(field)[0] ?? '').toUpperCase() + '!', [enumValues(field)[0]], HUGE];
    case 'uuid':
      return [...common, 'abc', '../etc', '1 OR 1=1', 123, [randomUUID()], '00000000-0000-1000-8000-000000000000', HUGE];
    case 'date':
      return [...common, 'yesterday', 123];
  }
}

/** Values that are wrong for a field sent in the query string (always strings there, or repeated). */
export function badQueryValues(field: Field): Array<string | string[]> {
  switch (field.kind) {
    case 'integer': {
      const { min = 0, max } = intBounds(field);
      const outOfRange = new Set([String(min - 1), '-1', ...(max === undefined ? [] : [String(max + 1)]), ...(max !== undefined && max < 1000 ? ['1000'] : [])]);
      return ['abc', '1.5', '', '1e3', '0x10', ...outOfRange, ['1', '2']];
    }
    case 'enum':
      return ['bogus', '', (enumValues(field)[0] ?? '').toUpperCase(), ['bogus', 'other']];
    case 'boolean':
      return ['maybe', '2', '', ['true', 'false']];
    case 'date':
      return ['yesterday', '2024-13-45', 'abc', ['2024-01-01', '2024-01-02']];
    default:
      return [HUGE, ['a', 'b'], 'nul\u0000byte', ...(field.name === 'cursor' ? ['not-a-cursor', Buffer.from('{"c":"x"}').toString('base64url')] : [])];
  }
}

/** Values that are wrong for a path parameter. */
export function badParamValues(field: Field): string[] {
  switch (field.kind) {
    case 'uuid':
      return ['abc', '../etc', '1 OR 1=1', "' OR '1'='1", '00000000-0000-0000-0000-000000000000', '00000000-0000-1000-8000-000000000000', `${randomUUID()}x`, HUGE];
    case 'integer':
      return ['abc', '0', '-1', '1.5', '1e3', '0x1A', '99999999999', ' 1', '1 OR 1=1'];
    default:
      return [HUGE, 'nul\u0000byte'];
  }
}

/** Strings of the right type but the wrong form, for the fields that have a form. */
const FORMAT_CASES: Record<string, unknown[]> = {
  customerEmail: ['not-an-email'],
  email: ['not-an-email', ''],
  identityHash: ['not hex'],
  department: ['<b>sales</b>', ''],
  clientMessageId: ['has space', '', 'x'.repeat(65)],
  content: ['', '   ', '\n\t'],
  message: ['', '   '],
  customerId: ['has space', ''],
  password: ['short', ''],
  name: ['', '   '],
};

/** Login only checks presence: a malformed email is answered like an unknown one (401), and no password policy applies. */
const LOGIN_FORMAT_CASES: Record<string, unknown[]> = { email: [''], password: [''] };

function formatCases(route: RegisteredRoute, field: string): unknown[] {
  return (route.key === 'POST /api/auth/login' ? LOGIN_FORMAT_CASES : FORMAT_CASES)[field] ?? [];
}

export const describeValue = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
};

/** What a response looked like, reduced to what the assertions compare. */
export interface Seen {
  input: string;
  status: number;
  code?: string;
  fields?: string[];
}

export const seenOf = (input: string, res: request.Response): Seen => ({
  input,
  status: res.status,
  code: res.body?.error?.code,
  fields: (res.body?.error?.details as Array<{ field: string }> | undefined)?.map((d) => d.field).filter((f) => !f.startsWith('_')),
});
