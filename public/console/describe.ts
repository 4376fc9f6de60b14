import { ApiError } from '../shared/http';

/** A refusal or a failure as one sentence for the reader: the server's own words, or a general one. */
export function describe(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Please try again.';
}

/** A refused save, for the form that made it: the server's words and each field it named, else `fallback`. */
export function refusal(error: unknown, fallback: string): string {
  const details = error instanceof ApiError ? error.details.map((d) => `${d.field}: ${d.message}`) : [];
  return [error instanceof Error ? error.message : fallback, ...details].join(' — ');
}
