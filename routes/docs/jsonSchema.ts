import type { ShapeName, Shapes } from './shapes';

/**
 * Typed builders for the component schemas. TypeScript's types are gone at run time, so the document cannot be
 * generated from the contract's interfaces; each schema is written against its interface instead, and the types
 * here make `tsc` refuse one that misses a field or has one too many, disagrees on null, on the kind of value
 * (string, number, boolean, list, object), on an enum's members, or on which component a nested shape is.
 */

export type Json = Record<string, unknown>;

type Described = {
  description?: string;
};
export type StringSchema = Described & {
  type: 'string';
  format?: 'uuid' | 'email' | 'date-time' | 'uri';
  enum?: readonly string[];
};
export type NumberSchema = Described & {
  type: 'integer' | 'number';
  minimum?: number;
  maximum?: number;
};
export type BooleanSchema = Described & {
  type: 'boolean';
  enum?: readonly boolean[];
};
export type ObjectSchema = Described & {
  type: 'object';
  required?: string[];
  properties?: Record<string, Json>;
  additionalProperties?: boolean;
};
export type RefSchema<N extends ShapeName = ShapeName> = {
  $ref: `#/components/schemas/${N}`;
};
/** OpenAPI 3.0 ignores anything beside a `$ref`, so a reference that may be null is wrapped. */
export type NullableRefSchema<N extends ShapeName = ShapeName> = Described & {
  allOf: [RefSchema<N>];
  nullable: true;
};

/** The component whose contract type is exactly V, if any. */
type NameOf<V> = { [K in ShapeName]: [Shapes[K]] extends [V] ? ([V] extends [Shapes[K]] ? K : never) : never }[ShapeName];

/** A contract shape must be referred to (to its own component); any other object may be written inline. */
type ObjectKind<V> = [NameOf<V>] extends [never] ? ObjectSchema : RefSchema<NameOf<V>>;

/** The schemas a (non-null) value of type V may have. A union of string literals needs its enum, of those members. */
type Kind<V> = [V] extends [boolean]
  ? BooleanSchema
  : [V] extends [string]
    ? string extends V
      ? StringSchema
      : StringSchema & { enum: readonly V[] }
    : [V] extends [number]
      ? NumberSchema
      : [V] extends [ReadonlyArray<infer Item>]
        ? Described & { type: 'array'; items: SchemaFor<Item> }
        : ObjectKind<V>;

type Nullable<S> = S extends RefSchema<infer N> ? NullableRefSchema<N> : S & { nullable: true };

/** The schema of a property of type V: `nullable: true` exactly when V admits null. */
export type SchemaFor<V> = null extends V ? Nullable<Kind<Exclude<V, null>>> : Kind<V> & { nullable?: false };

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** Never set: only carries, for the type checker, which contract type an object schema describes. */
declare const DESCRIBES: unique symbol;
export type ObjectSchemaOf<T> = ObjectSchema & { readonly [DESCRIBES]?: T };

/**
 * The object schema of T: one property schema per key of T (no more, no fewer), each fitting its field's type;
 * the second argument lists T's optional keys, all of them, and only when T has some. `required` is the rest.
 */
export function shape<T extends object>(
  properties: { [K in keyof T]-?: SchemaFor<Exclude<T[K], undefined>> },
  ...optional: [OptionalKeys<T>] extends [never] ? [] : [Record<OptionalKeys<T>, true>]
): ObjectSchemaOf<T> {
  const skipped = new Set(Object.keys(optional[0] ?? {}));
  return {
    type: 'object',
    required: Object.keys(properties).filter((key) => !skipped.has(key)),
    properties: properties as unknown as Record<string, Json>,
  };
}

export const ref = <N extends ShapeName>(name: N): RefSchema<N> => ({ $ref: `#/components/schemas/${name}` });
export const nullableRef = <N extends ShapeName>(name: N, description?: string): NullableRefSchema<N> => ({
  allOf: [ref(name)],
  nullable: true,
  ...(description ? { description } : {}),
});

/**
 * The members of a string union as a list, for a union the contract has no constant list of: a Record's keys,
 * so leaving a member out (or naming one that is not in the union) fails the type check.
 */
export const membersOf = <T extends string>(members: Record<T, true>): T[] => Object.keys(members) as T[];

export const str = (description?: string): StringSchema => ({ type: 'string', ...(description ? { description } : {}) });
export const int = (description?: string): NumberSchema => ({ type: 'integer', ...(description ? { description } : {}) });
export const bool = (description?: string): BooleanSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const time = (): StringSchema => ({ type: 'string', format: 'date-time' });
export const oneOf = <T extends string>(values: readonly T[], description?: string): StringSchema & { enum: readonly T[] } => ({
  type: 'string',
  enum: [...values],
  ...(description ? { description } : {}),
});
/** Free-form JSON object (metadata, an event's detail). */
export const anyObject = (description?: string): ObjectSchema => ({ type: 'object', additionalProperties: true, ...(description ? { description } : {}) });
/** The same schema that may also be null. */
export const orNull = <S extends object>(schema: S): S & { nullable: true } => ({ ...schema, nullable: true });
