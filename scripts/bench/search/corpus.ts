import { createHash, randomUUID } from 'node:crypto';
import type mysql from 'mysql2/promise';

/**
 * bench:search's corpus: sessions and messages written straight into the run's database, words drawn from a
 * Zipf distribution (the r-th word about 1/r as often as the first), as words are in real text. The first words
 * are a support team's everyday ones, some accented; the rest are made up, so the rarest hold a few dozen messages.
 */

const EVERYDAY = [
  'order', 'thanks', 'please', 'help', 'delivery', 'account', 'payment', 'refund', 'invoice', 'problem',
  'password', 'shipping', 'address', 'product', 'return', 'service', 'customer', 'support', 'waiting', 'today',
  'tomorrow', 'email', 'number', 'update', 'status', 'cancel', 'change', 'question', 'answer', 'price',
  'café', 'señor', 'müller', 'résumé', 'naïve', 'größe', 'garçon', 'crème', 'déjà', 'über',
];
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ra', 'tu', 'se', 'vo', 'pi', 'da', 'fe', 'gu', 'ho', 'ji', 'zu', 'be', 'qua', 'rix', 'tor', 'wen'];
const FIRST_NAMES = ['Maria', 'John', 'Aiko', 'Pierre', 'Fatima', 'Chen', 'Olga', 'Carlos', 'Ingrid', 'Kwame', 'Léa', 'Jürgen', 'Sofia', 'Ravi', 'Noor'];
const LAST_NAMES = Array.from({ length: 200 }, (_, i) => `Surname${word(i + 7_000)}`);

/** The i-th made-up word: the same for every run. */
function word(i: number): string {
  let n = i;
  let text = '';
  do {
    text += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  } while (n > 0);
  return `${text}${SYLLABLES[(i * 7) % SYLLABLES.length]}`;
}

export class Corpus {
  readonly vocabulary: string[];
  private readonly cumulative: number[];

  constructor(size: number) {
    this.vocabulary = [...EVERYDAY, ...Array.from({ length: size - EVERYDAY.length }, (_, i) => word(i))];
    let sum = 0;
    this.cumulative = this.vocabulary.map((_, rank) => (sum += 1 / (rank + 1)));
  }

  /** A word drawn by its frequency. */
  draw(): string {
    const total = this.cumulative[this.cumulative.length - 1] as number;
    const target = Math.random() * total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return this.vocabulary[lo] as string;
  }

  sentence(): string {
    const length = 5 + Math.floor(Math.random() * 11);
    const words = Array.from({ length }, () => this.draw());
    return `${words.join(' ')}${Math.random() < 0.3 ? '?' : '.'}`;
  }

  /** The words ranked from..to (1 = the most frequent). */
  ranked(from: number, to: number): string[] {
    return this.vocabulary.slice(from - 1, to);
  }
}

export const customerSurnames = (): string[] => LAST_NAMES;

const sqlTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * `sessions` closed sessions of `messages / sessions` messages each over the past year, in batches of one
 * multi-row INSERT; about one operator message in ten a note. Returns the seconds it took.
 */
export async function writeCorpus(db: mysql.Connection, corpus: Corpus, sessions: number, messages: number, progress: (done: number) => void): Promise<number> {
  const started = performance.now();
  const perSession = Math.max(1, Math.round(messages / sessions));
  const yearAgo = Date.now() - 365 * 86_400_000;
  const step = (365 * 86_400_000) / sessions;
  const hash = createHash('sha256').update('bench').digest('hex');
  const BATCH = 500;
  for (let first = 0; first < sessions; first += BATCH) {
    const sessionRows: unknown[][] = [];
    const messageRows: unknown[][] = [];
    for (let i = first; i < Math.min(first + BATCH, sessions); i++) {
      const id = randomUUID();
      const at = yearAgo + i * step;
      const name = `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[i % LAST_NAMES.length]}`;
      sessionRows.push([id, 'closed', name, `customer${i}@example.com`, `crm-${i}`, hash, sqlTime(at), sqlTime(at), sqlTime(at + 600_000), sqlTime(at + 600_000)]);
      for (let m = 0; m < perSession; m++) {
        const operator = m % 2 === 1;
        messageRows.push([id, operator ? 'operator' : 'customer', operator ? '1' : null, 'text', corpus.sentence(), operator && m % 10 === 9 ? 1 : 0, sqlTime(at + m * 30_000)]);
      }
    }
    await db.query('INSERT INTO chat_sessions (id, status, customer_name, customer_email, customer_id, customer_token_hash, created_at, assigned_at, closed_at, updated_at) VALUES ?', [sessionRows]);
    await db.query('INSERT INTO chat_messages (session_id, sender_type, sender_id, type, content, internal, created_at) VALUES ?', [messageRows]);
    progress(Math.min(first + BATCH, sessions) * perSession);
  }
  return (performance.now() - started) / 1000;
}
