import type { Operator } from '../shared/protocol';

const KEY = 'livechat-console:token';

/** The operator's token, kept across reloads of the console (cleared on logout or when refused). */
export const savedToken = {
  get(): string | null {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  set(token: string): void {
    try {
      localStorage.setItem(KEY, token);
    } catch {
      // Storage refused: the login lasts as long as the page.
    }
  },
  clear(): void {
    try {
      localStorage.removeItem(KEY);
    } catch {
      // Storage refused: nothing was kept.
    }
  },
};

export interface Login {
  token: string;
  operator: Operator;
}
