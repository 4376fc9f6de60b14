import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line written on behalf of one request or socket event carries. */
export interface RequestContext {
  reqId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * Runs `fn` (and everything it starts, however asynchronous) inside a request's context, so the services'
 * log lines carry the request id without any service knowing about requests.
 */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The id of the request or socket event being served, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.reqId;
}
