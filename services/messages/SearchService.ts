import { Op } from 'sequelize';
import type { Db } from '../../models/db';
import type { ChatSession } from '../../models';
import type { MessageFields } from '../../models/queries/messages';
import { findSessions } from '../../models/queries/sessions';
import { customerMatches, extraScan, indexedMatches, newestMessageId, recentCandidates, RECENT_SCAN, wordCounts, type SearchFilters, type SessionKey } from '../../models/queries/search';
import { requireOperator, type Actor } from '../access';
import type { SearchResultDTO } from '../contract';
import { decodeCursor, encodeCursor } from '../cursor';
import { sessionDTOs } from '../sessions/sessionViews';
import { withAttachments, type DescribeAttachments } from './MessageReader';
import { holdsAll, searchWords, snippetOf, type SearchWords } from './searchText';

export interface SearchQuery extends SearchFilters {
  q: string;
  limit: number;
  cursor?: string;
}

export interface SearchPage {
  results: SearchResultDTO[];
  nextCursor: string | null;
}

/**
 * Where a search stands in each of its two lists (messages by id, customers' sessions by creation), so that the
 * next page goes on from both: `m` the id the next messages are below (absent: from the newest), `s` the
 * last session given; `md` / `sd` that a list has nothing more.
 */
interface Position {
  m?: number;
  s?: [createdAt: string, id: string];
  md?: true;
  sd?: true;
}

/** Rows read from the database per step; most pass the word check, so one step usually fills a page. */
const STEP = 60;

type Hit = { at: number; message: MessageFields; session?: undefined } | { at: number; session: ChatSession; message?: undefined };

/**
 * Full-text search over every message (notes included: operators only) and the customers' names, emails and
 * ids (PROTOCOL.md "Search"), newest first. The match is searchText's; the databases' indexes find candidates
 * (models/queries/search.ts).
 */
export class SearchService {
  constructor(
    private readonly db: Db,
    private readonly describe: DescribeAttachments,
  ) {}

  async search(actor: Actor, query: SearchQuery): Promise<SearchPage> {
    requireOperator(actor);
    const words = searchWords(query.q);
    const position = query.cursor ? decodeCursor(query.cursor, readPosition) : {};
    const want = query.limit + 1;
    const exact = query.q.trim();
    const [messages, sessions] = await Promise.all([
      // A q with no word of two or more letters or digits ("!!", an emoji) finds no message; a customer's exact id or email still.
      position.md || words.all.length === 0 ? [] : this.messageHits(words, query, position.m, want),
      position.sd ? [] : this.sessionHits(words, exact, query, position.s ? { createdAt: new Date(position.s[0]), id: position.s[1] } : null, want),
    ]);
    const hits = merge(
      messages.map((message) => ({ at: new Date(message.createdAt).getTime(), message })),
      sessions.map((session) => ({ at: session.createdAt.getTime(), session })),
    );
    const page = hits.slice(0, query.limit);
    const shown = page.filter((hit) => hit.message).length;
    // A list read to its end whose every hit is on this page is not read again.
    const ended = { messages: messages.length < want && shown === messages.length, sessions: sessions.length < want && page.length - shown === sessions.length };
    const nextCursor = hits.length > page.length ? encodeCursor(nextPosition(position, page, ended)) : null;
    return { results: await this.describeHits(page, words), nextCursor };
  }

  /** Up to `want` messages below `below` holding every word, newest first. */
  private async messageHits(words: SearchWords, filters: SearchFilters, below: number | undefined, want: number): Promise<MessageFields[]> {
    const hits: MessageFields[] = [];
    const keep = (rows: MessageFields[]) => hits.push(...rows.filter((row) => holdsAll(row.content, words.all)));
    const scan = RECENT_SCAN[this.db.dialect];
    const start = below ?? (scan > 0 ? (await newestMessageId(this.db)) + 1 : Number.MAX_SAFE_INTEGER);
    const window = Math.max(start - scan, 0);
    let cursor = start;
    const readDownTo = async (floor: number) => {
      while (hits.length < want && cursor > floor) {
        const rows = await recentCandidates(this.db, { below: cursor, floor }, words.indexed, filters, STEP);
        keep(rows);
        cursor = rows.length < STEP ? floor : Number(rows[rows.length - 1]?.id);
      }
    };
    if (scan > 0) {
      await readDownTo(window);
      await readDownTo(Math.max(cursor - extraScan(hits.length, start - window, want, start), 0));
    }
    const asked = scan > 0 && hits.length < want && words.indexed.length > 1 ? await this.rarest(words.indexed, { below: start, floor: window }) : words.indexed;
    while (hits.length < want && cursor > 1) {
      const rows = await indexedMatches(this.db, cursor, asked, words.indexed.filter((word) => !asked.includes(word)), filters, STEP);
      keep(rows);
      if (rows.length < STEP) break;
      cursor = Number(rows[rows.length - 1]?.id);
    }
    return hits.slice(0, want);
  }

  /**
   * The word the recent messages hold least often (the longest of equals), alone: MySQL's index costs as much as
   * all the matches of every word it is asked for, and the other words are checked on what it finds.
   */
  private async rarest(words: string[], range: { below: number; floor: number }): Promise<string[]> {
    const counts = await wordCounts(this.db, range, words);
    const ranked = words.map((word, i) => ({ word, count: counts[i] ?? 0 })).sort((a, b) => a.count - b.count || b.word.length - a.word.length);
    return ranked.slice(0, 1).map((entry) => entry.word);
  }

  /** Up to `want` sessions after `after` whose customer matches, newest first. */
  private async sessionHits(words: SearchWords, exact: string, filters: SearchFilters, after: SessionKey | null, want: number): Promise<ChatSession[]> {
    const hits: ChatSession[] = [];
    let from = after;
    for (;;) {
      const keys = await customerMatches(this.db, words.indexed, exact, filters, from, STEP);
      const byId = new Map((await findSessions(this.db, { id: { [Op.in]: keys.map((key) => key.id) } }, [])).map((session) => [session.id, session]));
      for (const key of keys) {
        const session = byId.get(key.id);
        if (session && customerMatch(session, words, exact)) hits.push(session);
      }
      const last = keys[keys.length - 1];
      if (hits.length >= want || keys.length < STEP || !last) return hits.slice(0, want);
      from = last;
    }
  }

  private async describeHits(page: Hit[], words: SearchWords): Promise<SearchResultDTO[]> {
    const found = page.flatMap((hit) => (hit.message ? [hit.message] : []));
    const known = new Map(page.flatMap((hit) => (hit.session ? [[hit.session.id, hit.session] as const] : [])));
    const missing = [...new Set(found.map((message) => message.sessionId))].filter((id) => !known.has(id));
    if (missing.length > 0) for (const session of await findSessions(this.db, { id: { [Op.in]: missing } }, [])) known.set(session.id, session);
    const sessions = [...known.values()];
    const views = new Map((await sessionDTOs(this.db, sessions)).map((view) => [view.id, view]));
    const messages = new Map((await withAttachments(found, this.describe)).map((message) => [message.id, message]));
    return page.flatMap((hit) => {
      const sessionId = hit.message ? hit.message.sessionId : hit.session.id;
      const session = views.get(sessionId);
      // A session erased between the two reads is left out rather than shown half.
      if (!session) return [];
      if (!hit.message) return [{ session, message: null, snippet: [session.customerName, session.customerEmail, session.customerId].filter(Boolean).join(' · ') }];
      return [{ session, message: messages.get(Number(hit.message.id)) ?? null, snippet: snippetOf(hit.message.content, words.all) }];
    });
  }
}

/** A customer matches on their exact id or email, or when every word begins a word of their name or email. */
function customerMatch(session: ChatSession, words: SearchWords, exact: string): boolean {
  if (session.customerId === exact || (session.customerEmail ?? '').toLowerCase() === exact.toLowerCase()) return true;
  return holdsAll(`${session.customerName ?? ''} ${session.customerEmail ?? ''}`, words.all);
}

/**
 * The two lists as one, newest first, each kept in its own order (messages by id, which two processes may stamp
 * a millisecond apart out of order): the last of each shown is where its list goes on.
 */
function merge(messages: Hit[], sessions: Hit[]): Hit[] {
  const merged: Hit[] = [];
  let m = 0;
  let s = 0;
  while (m < messages.length || s < sessions.length) {
    const message = messages[m];
    const session = sessions[s];
    if (message && (!session || message.at >= session.at)) {
      merged.push(message);
      m += 1;
    } else if (session) {
      merged.push(session);
      s += 1;
    }
  }
  return merged;
}

/** Where the next page starts: after the last message and the last session shown. */
function nextPosition(position: Position, page: Hit[], ended: { messages: boolean; sessions: boolean }): Position {
  const next: Position = { ...position };
  const shownMessages = page.flatMap((hit) => (hit.message ? [hit.message] : []));
  const shownSessions = page.flatMap((hit) => (hit.session ? [hit.session] : []));
  const lastMessage = shownMessages[shownMessages.length - 1];
  const lastSession = shownSessions[shownSessions.length - 1];
  if (lastMessage) next.m = Number(lastMessage.id);
  if (lastSession) next.s = [lastSession.createdAt.toISOString(), lastSession.id];
  if (ended.messages) next.md = true;
  if (ended.sessions) next.sd = true;
  return next;
}

function readPosition(parsed: unknown): Position | null {
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { m, s, md, sd } = parsed as Record<string, unknown>;
  const position: Position = {};
  if (m !== undefined) {
    if (!Number.isSafeInteger(m) || (m as number) < 1) return null;
    position.m = m as number;
  }
  if (s !== undefined) {
    if (!Array.isArray(s) || s.length !== 2 || typeof s[1] !== 'string' || Number.isNaN(new Date(String(s[0])).getTime())) return null;
    position.s = [String(s[0]), s[1]];
  }
  if (md === true) position.md = true;
  if (sd === true) position.sd = true;
  // Every cursor given out follows a page, which moved at least one of the two.
  return position.m !== undefined || position.s !== undefined ? position : null;
}
