import { ApiError } from '../shared/http';

/** A refusal or a failure as one sentence for the reader: the server's own words, or a general one. */
export function describe(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Please try again.';
}
