import validator from 'validator';
import type { Schema } from 'express-validator';

/**
 * A synchronous reading of an express-validator schema, for the input it accepts as it is: the same schema, the
 * same validator.js functions with the same options, in the order checkSchema chains them. It answers only
 * "valid, and here is matchedData()'s result", or "not sure": then express-validator itself runs, and says
 * what is wrong. Running the chains costs more than the checks themselves (measured with bench:realtime:
 * express-validator and the lodash it calls were a fifth of the server's CPU per message), and a message, a
 * typing flag or a read mark is checked thousands of times a second.
 *
 * Only what can be decided exactly is compiled: top-level fields in one location (body, params or query),
 * `optional: true`, and the keywords in STEPS below. A schema using anything else has no fast path. Values
 * that are objects or arrays are always left to express-validator (its validators treat arrays per element).
 * tests/unit/schemaFastPath.test.ts checks the two agree on every schema of the app.
 */

type Location = 'body' | 'params' | 'query';
/** A request as the schemas read it (REST: its parts; a socket event: its payload as the body). */
export type Target = Record<Location, Record<string, unknown>>;

/** The answer of a step that cannot accept the value: leave the whole input to express-validator. */
const UNSURE = Symbol('unsure');

/** One keyword of a field: the value it passes on (a sanitizer's result), or UNSURE. */
type Step = (value: unknown, meta: { req: Target; location: Location; path: string }) => unknown;

/** express-validator's toString, for the values a fast path handles (no objects). */
const text = (value: unknown): string => (value == null || (typeof value === 'number' && Number.isNaN(value)) ? '' : String(value));

/** A standard (validator.js) check: it sees the value as text. */
const standard =
  (check: (value: string) => boolean): Step =>
  (value) =>
    check(text(value)) ? value : UNSURE;

/** Steps by schema keyword, from the options as checkSchema passes them (`_.castArray(options)`). */
const STEPS: Record<string, (options: unknown[]) => Step | null> = {
  exists: (options) => (options[0] === undefined ? (value) => (value !== undefined ? value : UNSURE) : null),
  isString: () => (value) => (typeof value === 'string' ? value : UNSURE),
  isBoolean: ([options]) => {
    const strict = (options as { strict?: boolean } | undefined)?.strict;
    if (strict) return (value) => (value === true || value === false ? value : UNSURE);
    return standard((value) => validator.isBoolean(value, options as Parameters<typeof validator.isBoolean>[1]));
  },
  isLength: ([options]) => standard((value) => validator.isLength(value, options as validator.IsLengthOptions)),
  isInt: ([options]) => standard((value) => validator.isInt(value, options as validator.IsIntOptions)),
  isUUID: ([version]) => standard((value) => validator.isUUID(value, version as validator.UUIDVersion)),
  isEmail: ([options]) => standard((value) => validator.isEmail(value, options as validator.IsEmailOptions | undefined)),
  isHexadecimal: () => standard((value) => validator.isHexadecimal(value)),
  // Objects never reach a step (they are left to express-validator), and a strict isObject refuses every other
  // value, null included: whatever gets here is for express-validator to refuse.
  isObject: ([options]) => {
    const strict = (options as { strict?: unknown } | undefined)?.strict;
    return strict == null || strict ? () => UNSURE : null;
  },
  isIn: ([values]) => standard((value) => validator.isIn(value, values as string[])),
  // A flagless RegExp only: express-validator rebuilds the pattern on each call, so a stateful flag (g, y)
  // would answer differently here, where it is reused.
  matches: ([pattern, modifiers]) => {
    if (!(pattern instanceof RegExp) || pattern.flags !== '' || modifiers !== undefined) return null;
    return standard((value) => validator.matches(value, pattern));
  },
  custom: ([check]) => {
    if (typeof check !== 'function') return null;
    return (value, meta) => {
      try {
        const result: unknown = check(value, meta);
        // A promise would have to be awaited: express-validator decides.
        if (result instanceof Promise || !result) return UNSURE;
        return value;
      } catch {
        return UNSURE;
      }
    };
  },
  toInt: ([radix]) => (value) => validator.toInt(text(value), radix as number | undefined),
};

/** checkSchema's own keys of a field, which are not steps. */
const FIELD_KEYS = new Set(['in', 'errorMessage', 'optional']);

interface Field {
  name: string;
  location: Location;
  optional: boolean;
  steps: Step[];
}

/** Returns matchedData()'s result for input the schema accepts as it is, null when express-validator must decide. */
export type FastPath = (target: Target) => Record<string, unknown> | null;

function compileField(name: string, config: Record<string, unknown>): Field | null {
  const locations = Array.isArray(config.in) ? config.in : [config.in].filter(Boolean);
  const [location] = locations as Location[];
  if (!/^\w+$/.test(name) || locations.length !== 1 || !(location === 'body' || location === 'params' || location === 'query')) return null;
  if (config.optional !== undefined && typeof config.optional !== 'boolean') return null;
  const steps: Step[] = [];
  for (const [keyword, spec] of Object.entries(config)) {
    if (FIELD_KEYS.has(keyword) || !spec) continue;
    if (spec !== true && (typeof spec !== 'object' || 'if' in spec || 'negated' in spec)) return null;
    const options = spec === true ? [] : ([] as unknown[]).concat((spec as { options?: unknown }).options);
    const step = STEPS[keyword]?.(options);
    if (!step) return null;
    steps.push(step);
  }
  return { name, location, optional: config.optional === true, steps };
}

/** The schema's fast path, or null when a field uses something not compiled here. */
export function compileFastPath(schema: Schema): FastPath | null {
  const fields: Field[] = [];
  for (const [name, config] of Object.entries(schema)) {
    const field = compileField(name, config as Record<string, unknown>);
    if (!field) return null;
    fields.push(field);
  }
  return (target) => {
    const input: Record<string, unknown> = {};
    for (const { name, location, optional, steps } of fields) {
      let value = target[location][name];
      if (value !== null && typeof value === 'object') return null;
      if (optional && value === undefined) continue;
      const meta = { req: target, location, path: name };
      for (const step of steps) {
        value = step(value, meta);
        if (value === UNSURE) return null;
      }
      input[name] = value;
    }
    return input;
  };
}
