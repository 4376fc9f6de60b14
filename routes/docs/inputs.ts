import type { ParamSchema, Schema } from 'express-validator';
import type { Json, OpenApiParameter, OpenApiRequestBody } from './types';

/**
 * Parameters and request bodies, read from the express-validator schemas the routes validate with
 * (middleware/schemas.ts): the document states the rules the server applies, so they cannot differ.
 */

type Location = 'path' | 'query' | 'body';

export interface FieldDoc {
  name: string;
  location: Location;
  required: boolean;
  schema: Json;
  description?: string;
}

/** A validator's options: `{ options }` in the schema (or `true` for no options). */
function optionsOf(field: ParamSchema, key: string): unknown {
  const entry = (field as Record<string, unknown>)[key];
  return entry && typeof entry === 'object' ? (entry as { options?: unknown }).options : undefined;
}

const has = (field: ParamSchema, key: string): boolean => Boolean((field as Record<string, unknown>)[key]);

/** Messages that only restate the type or presence (already in the schema) are left out of the description. */
const TRIVIAL_MESSAGES = /^(must be a string|must be a number|is required|must be an object|must be true or false)$/;

function describeField(field: ParamSchema): string | undefined {
  const messages = new Set<string>();
  for (const [key, entry] of Object.entries(field as Record<string, unknown>)) {
    if (key === 'in' || key === 'optional' || !entry || typeof entry !== 'object') continue;
    const message = (entry as { errorMessage?: unknown }).errorMessage;
    if (typeof message === 'string' && !TRIVIAL_MESSAGES.test(message)) messages.add(message);
  }
  return messages.size > 0 ? [...messages].join('; ') : undefined;
}

function fieldType(field: ParamSchema): Json {
  const range = (options: unknown, lower: string, upper: string): Json => {
    const o = (options ?? {}) as { min?: number; max?: number };
    return { ...(o.min !== undefined ? { [lower]: o.min } : {}), ...(o.max !== undefined ? { [upper]: o.max } : {}) };
  };
  if (has(field, 'isInt')) return { type: 'integer', ...range(optionsOf(field, 'isInt'), 'minimum', 'maximum') };
  if (has(field, 'isBoolean')) return { type: 'boolean' };
  if (has(field, 'isArray')) return { type: 'array', items: {}, ...range(optionsOf(field, 'isArray'), 'minItems', 'maxItems') };
  if (has(field, 'isObject')) return { type: 'object', additionalProperties: true };
  if (has(field, 'isIn')) {
    const options = optionsOf(field, 'isIn');
    const values = Array.isArray(options) && Array.isArray(options[0]) ? (options[0] as unknown[]) : [];
    return { type: 'string', enum: [...values] };
  }
  const schema: Json = { type: 'string' };
  if (has(field, 'isUUID')) schema.format = 'uuid';
  else if (has(field, 'isEmail')) schema.format = 'email';
  else if (has(field, 'isISO8601')) schema.format = 'date-time';
  if (has(field, 'isLength')) Object.assign(schema, range(optionsOf(field, 'isLength'), 'minLength', 'maxLength'));
  const pattern = optionsOf(field, 'matches');
  if (pattern instanceof RegExp) schema.pattern = pattern.source;
  else if (has(field, 'isHexadecimal')) schema.pattern = '^[0-9a-fA-F]+$';
  return schema;
}

function locationOf(field: ParamSchema): Location {
  const where = Array.isArray(field.in) ? field.in[0] : field.in;
  if (where === 'params') return 'path';
  if (where === 'query') return 'query';
  return 'body';
}

export function fieldsOf(schema: Schema | undefined): { fields: FieldDoc[]; rules: string[] } {
  const fields: FieldDoc[] = [];
  const rules: string[] = [];
  for (const [name, field] of Object.entries(schema ?? {})) {
    if (name.startsWith('_')) {
      // Cross-field rules (e.g. "exactly one of a or b") are not fields; they go into the body's description.
      const rule = describeField(field);
      if (rule) rules.push(rule);
      continue;
    }
    const location = locationOf(field);
    fields.push({
      name,
      location,
      required: location === 'path' || !field.optional,
      schema: fieldType(field),
      description: describeField(field),
    });
  }
  return { fields, rules };
}

/** The path and query fields as OpenAPI parameters. */
export function parametersOf(fields: readonly FieldDoc[]): OpenApiParameter[] {
  return fields
    .filter((f): f is FieldDoc & { location: 'path' | 'query' } => f.location !== 'body')
    .map((f) => ({ name: f.name, in: f.location, required: f.required, ...(f.description ? { description: f.description } : {}), schema: f.schema }));
}

/** The body fields (and the cross-field rules) as a JSON request body, or undefined when the route takes none. */
/** The JSON body, and with `multipartFields` (a route that also takes a file) the multipart form beside it. */
export function requestBodyOf(fields: readonly FieldDoc[], rules: readonly string[], multipartFields?: readonly FieldDoc[]): OpenApiRequestBody | undefined {
  const bodyFields = fields.filter((f) => f.location === 'body');
  if (bodyFields.length === 0 && rules.length === 0) return undefined;
  const json = objectOf(bodyFields);
  const multipart = multipartFields && objectOf(multipartFields.filter((f) => f.location === 'body'), { file: { type: 'string', format: 'binary', description: 'The one file' } });
  return {
    required: json.required !== undefined,
    ...(rules.length > 0 ? { description: rules.join('; ') } : {}),
    content: { 'application/json': { schema: json }, ...(multipart ? { 'multipart/form-data': { schema: multipart } } : {}) },
  };
}

function objectOf(bodyFields: readonly FieldDoc[], extra: Record<string, Json> = {}): { type: 'object'; required?: string[]; properties: Record<string, Json> } {
  const properties: Record<string, Json> = {};
  for (const f of bodyFields) properties[f.name] = { ...f.schema, ...(f.description ? { description: f.description } : {}) };
  Object.assign(properties, extra);
  const required = [...bodyFields.filter((f) => f.required).map((f) => f.name), ...Object.keys(extra)];
  return { type: 'object', ...(required.length > 0 ? { required } : {}), properties };
}
