/** Getter/setter pair that keeps a JSON value in a TEXT column (same on SQLite and MySQL/MariaDB). */
export function jsonText<T>(column: string, fallback: T) {
  return {
    get(this: { getDataValue(key: string): unknown }): T {
      const raw = this.getDataValue(column);
      if (typeof raw !== 'string' || raw === '') return fallback;
      return JSON.parse(raw) as T;
    },
    set(this: { setDataValue(key: string, value: unknown): void }, value: T | null | undefined): void {
      this.setDataValue(column, value === null || value === undefined ? null : JSON.stringify(value));
    },
  };
}
