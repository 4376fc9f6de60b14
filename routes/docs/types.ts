import type { HttpMethod } from '../registry';
import type { Json } from './jsonSchema';

/**
 * The parts of OpenAPI 3.0 this server writes, in their own module so that the builders (openapi.ts, inputs.ts,
 * responses.ts, serviceEndpoints.ts) and the HTML page (docsPage.ts) share them without importing each other.
 */

export type { Json };

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: Json;
}

export interface OpenApiRequestBody {
  required: boolean;
  description?: string;
  content: { 'application/json': { schema: Json }; 'multipart/form-data'?: { schema: Json } };
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: OpenApiParameter[];
  requestBody?: OpenApiRequestBody;
  /** By status, plus `default` (the 500 INTERNAL any request can meet). */
  responses: Record<string, Json>;
  /** Who may call it, in words (the access rule); also shown on the HTML page. */
  'x-access': string;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json>; securitySchemes: Record<string, Json> };
}

/** An endpoint the app mounts outside the route registry, described by hand (the docs test keeps it honest). */
export interface ServiceEndpoint {
  method: HttpMethod;
  path: string;
  summary: string;
  responses: Record<string, Json>;
  /** Who may call it, when not simply anyone. */
  access?: string;
}
