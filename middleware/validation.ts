import type { RequestHandler } from 'express';
import { checkSchema, matchedData, validationResult, type Schema, type ValidationChain } from 'express-validator';
import { ValidationError, type FieldProblem } from '../services/errors';
import { compileFastPath, type FastPath, type Target } from './schemaFastPath';

export type { Schema };

declare module 'express-serve-static-core' {
  interface Request {
    /** The validated input (path, query and body fields the schema names), nothing else. */
    input?: Record<string, unknown>;
  }
}

/**
 * A schema's validation chains, built once per schema: checkSchema costs ~0.2 ms of CPU per call, several times
 * the cost of running the chains, and chains are reusable (their state lives on the request they run on).
 */
const compiled = new WeakMap<Schema, ValidationChain[]>();
function chainsOf(schema: Schema): ValidationChain[] {
  let chains = compiled.get(schema);
  if (!chains) {
    chains = checkSchema(schema);
    compiled.set(schema, chains);
  }
  return chains;
}

/** Each schema's fast path (null: it has none), compiled once. */
const fastPaths = new WeakMap<Schema, FastPath | null>();
function fastPathOf(schema: Schema): FastPath | null {
  let fast = fastPaths.get(schema);
  if (fast === undefined) {
    fast = compileFastPath(schema);
    fastPaths.set(schema, fast);
  }
  return fast;
}

interface Validatable {
  body?: unknown;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
}

/**
 * Runs a schema on anything shaped like a request (a REST request, or `{ body: payload }` for a socket event)
 * and returns only the fields the schema names; throws VALIDATION_ERROR listing every bad field.
 */
export async function validateInput(schema: Schema, target: Validatable): Promise<Record<string, unknown>> {
  const body = target.body ?? {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError('The body must be a JSON object', [{ field: 'body', message: 'must be an object' }]);
  }
  const request: Target = { body: body as Record<string, unknown>, params: target.params ?? {}, query: target.query ?? {} };
  const input = fastPathOf(schema)?.(request) ?? (await runChains(schema, request));
  const withNul = Object.keys(input).filter((field) => containsNul(input[field]));
  if (withNul.length > 0) {
    const details = withNul.map((field) => ({ field, message: 'must not contain NUL characters' }));
    throw new ValidationError(`Invalid ${withNul.join(', ')}`, details);
  }
  return input;
}

/** express-validator itself: matchedData() of valid input, or VALIDATION_ERROR naming every bad field. */
export async function runChains(schema: Schema, request: Target): Promise<Record<string, unknown>> {
  await Promise.all(chainsOf(schema).map((chain) => chain.run(request)));
  const result = validationResult(request);
  if (!result.isEmpty()) {
    const details: FieldProblem[] = result.array({ onlyFirstError: true }).map((e) => ({
      field: e.type === 'field' ? e.path : e.type,
      message: String(e.msg),
    }));
    throw new ValidationError(`Invalid ${details.map((d) => d.field).join(', ')}`, details);
  }
  return matchedData(request, { includeOptionals: false });
}

/** NUL never belongs in text, and SQLite ends a statement at it (a 500 instead of a query): refused everywhere. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  return Array.isArray(value) && value.some(containsNul);
}

/** REST: validates the request against the schema and leaves the clean input on `req.input`. */
export function validate(schema: Schema): RequestHandler {
  return async (req, _res, next) => {
    try {
      req.input = await validateInput(schema, { body: req.body, params: req.params, query: req.query });
      next();
    } catch (error) {
      next(error);
    }
  };
}
