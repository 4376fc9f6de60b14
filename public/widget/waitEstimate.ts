import type { Http } from '../shared/http';
import type { Availability } from '../shared/protocol';

/** How often a waiting customer's estimated wait is refreshed at most. */
const ESTIMATE_EVERY_MS = 10_000;

/** A waiting customer's estimated wait, from the availability the server reports. */
export class WaitEstimate {
  /** Null while unknown, or while nobody is online to answer. */
  seconds: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastAt = 0;

  constructor(
    private readonly http: Http,
    private readonly changed: () => void,
  ) {}

  /**
   * At most one availability read per ESTIMATE_EVERY_MS, the last position change always covered: every
   * waiting customer hears every queue change, and each asking at once would multiply the server's load.
   */
  schedule(): void {
    if (this.timer !== null) return;
    const wait = Math.max(0, this.lastAt + ESTIMATE_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.lastAt = Date.now();
      void this.refresh();
    }, wait);
  }

  async refresh(): Promise<void> {
    try {
      const availability = await this.http.call<Availability>('GET', '/api/chat/availability');
      this.seconds = availability.online ? availability.estimatedWaitSeconds : null;
      this.changed();
    } catch {
      // The estimate is a courtesy; the queue position stands without it.
    }
  }

  /** The session is gone: no estimate, none pending. */
  clear(): void {
    this.seconds = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
