import { actorOf, access } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import { DEFAULT_LIMITS } from '../middleware/schemas';
import type { PostMessageInput } from '../services/messages/MessageService';
import type { Variant } from '../services/messages/attachments/FileStore';
import type { CreateSessionInput } from '../services/sessions/ChatService';
import type { HistoryFilters } from '../services/sessions/SessionDirectory';
import type { SearchQuery } from '../services/messages/SearchService';
import type { RouteContext } from './context';
import { inputOf } from './context';
import type { RouteGroup, RouteSpec } from './registry';
import { sendFile } from './files';

type SessionParam = { sessionId: string };

export function chatRoutes({ schemas, limiters, chat, sessions, messages, files, uploads, search, transcripts, privacy }: RouteContext): RouteGroup {
  const download = (variant: Variant): RouteSpec['handler'] => async (req, res) => {
    const { attachmentId } = inputOf<{ attachmentId: string }>(req);
    const file = await files.open(actorOf(req), attachmentId, variant, { exp: req.query.exp, sig: req.query.sig });
    sendFile(res, file);
  };
  return {
    prefix: '/api/chat',
    tag: 'chat',
    routes: [
      {
        method: 'post',
        path: '/sessions',
        summary: 'Start a chat session (routed at once: assigned or queued); returns the customer token',
        access: access.public,
        before: [limiters.sessions],
        schema: schemas.createSession,
        responds: {
          status: 201,
          schema: 'SessionTicket',
          description: 'A new session (assigned or queued) and the customer token that opens it',
          also: [
            {
              status: 200,
              description: 'IDENTITY_SECRET is set and the verified customer (customerId with its identityHash) still has an open session: that session, with a fresh token',
            },
          ],
          fails: {
            401: 'IDENTITY_SECRET is set and customerId came without a valid identityHash',
            429: 'too many new sessions from this client IP (RATE_LIMIT_SESSIONS_PER_MINUTE); see Retry-After',
          },
        },
        handler: async (req, res) => {
          const ticket = await chat.createSession(actorOf(req), { ...inputOf<CreateSessionInput>(req), origin: `${req.protocol}://${req.get('host') ?? 'localhost'}` });
          sendData(res, { session: ticket.session, customerToken: ticket.customerToken }, { status: ticket.resumed ? 200 : 201 });
        },
      },
      {
        method: 'get',
        path: '/sessions/active',
        summary: 'Waiting and active sessions (?mine=true: only my own)',
        access: access.operator,
        schema: schemas.activeSessions,
        responds: { status: 200, schema: { arrayOf: 'Session' } },
        handler: async (req, res) => {
          sendData(res, await sessions.listActive(actorOf(req), inputOf<{ mine?: boolean }>(req).mine === true));
        },
      },
      {
        method: 'get',
        path: '/sessions/history',
        summary: 'All sessions, newest first, with filters and cursor pagination (meta.nextCursor)',
        access: access.operator,
        schema: schemas.history,
        responds: { status: 200, schema: { arrayOf: 'Session' }, fails: { 400: 'invalid filters, or a cursor this server did not give out' } },
        handler: async (req, res) => {
          const filters = inputOf<Omit<HistoryFilters, 'limit'> & { limit?: number }>(req);
          const page = await sessions.history(actorOf(req), { ...filters, limit: filters.limit ?? DEFAULT_LIMITS.history });
          sendData(res, page.sessions, { meta: { nextCursor: page.nextCursor } });
        },
      },
      {
        method: 'get',
        path: '/search',
        summary: 'Full-text search of every message (notes included) and of customers’ names, emails and ids; newest first, cursor pagination (meta.nextCursor)',
        access: access.operator,
        schema: schemas.search,
        responds: {
          status: 200,
          schema: { arrayOf: 'SearchResult' },
          fails: { 400: 'q not 2 to 200 characters or without a word of two letters or digits, invalid filters, or a cursor this server did not give out' },
        },
        handler: async (req, res) => {
          const query = inputOf<Omit<SearchQuery, 'limit'> & { limit?: number }>(req);
          const page = await search.search(actorOf(req), { ...query, limit: query.limit ?? DEFAULT_LIMITS.search });
          sendData(res, page.results, { meta: { nextCursor: page.nextCursor } });
        },
      },
      {
        method: 'post',
        path: '/sessions/:sessionId/transcript',
        summary: 'Mail the transcript (notes left out): a customer to the session’s own email address (at most 3 an hour), an operator to any address',
        access: access.operatorOrSessionCustomer(),
        schema: schemas.transcript,
        responds: {
          status: 200,
          schema: 'Transcript',
          fails: {
            403: 'a customer giving another address than the session’s',
            409: 'CONFLICT: no address to send to, or this server sends no mail',
            429: 'a customer’s fourth request within an hour; see Retry-After',
          },
        },
        handler: async (req, res) => {
          const { sessionId, email } = inputOf<SessionParam & { email?: string }>(req);
          sendData(res, await transcripts.send(actorOf(req), sessionId, email));
        },
      },
      {
        method: 'get',
        path: '/availability',
        summary: 'Whether anyone is online, how many can take a chat, queue length and estimated wait',
        access: access.public,
        responds: { status: 200, schema: 'Availability' },
        handler: async (req, res) => {
          sendData(res, await sessions.availability(actorOf(req)));
        },
      },
      {
        method: 'get',
        path: '/sessions/:sessionId',
        summary: 'One session',
        access: access.operatorOrSessionCustomer(),
        schema: schemas.sessionParam,
        responds: { status: 200, schema: 'Session' },
        handler: async (req, res) => {
          sendData(res, await chat.getSession(actorOf(req), inputOf<SessionParam>(req).sessionId));
        },
      },
      {
        method: 'delete',
        path: '/sessions/:sessionId',
        summary:
          "Erase one session (admin; an open one is closed first): its messages, notes, files, rating and comment are deleted, its customer's id, name, email and metadata blanked; it stays as an anonymous count. Twice is harmless (zeros)",
        access: access.admin,
        schema: schemas.sessionParam,
        responds: { status: 200, schema: 'Erasure' },
        handler: async (req, res) => sendData(res, await privacy.eraseSession(actorOf(req), inputOf<SessionParam>(req).sessionId)),
      },
      {
        method: 'put',
        path: '/sessions/:sessionId/close',
        summary: 'Close a session (assigned operator, admin or its customer); 409 SESSION_CLOSED when already closed',
        access: access.operatorOrSessionCustomer(),
        schema: schemas.closeSession,
        responds: {
          status: 200,
          schema: 'Session',
          fails: { 403: 'an operator who is not assigned to the session (an admin may)', 409: 'SESSION_CLOSED: the session is already closed' },
        },
        handler: async (req, res) => {
          const { sessionId, reason } = inputOf<SessionParam & { reason?: string }>(req);
          sendData(res, await chat.close(actorOf(req), sessionId, reason));
        },
      },
      {
        method: 'put',
        path: '/sessions/:sessionId/transfer',
        summary: 'Transfer a session to an operator or to a department (assigned operator or admin)',
        access: access.operator,
        schema: schemas.transferSession,
        responds: {
          status: 200,
          schema: 'Session',
          fails: {
            403: 'an operator who is not assigned to the session (an admin may), or a customer token',
            404: 'no such session, or no such operator to transfer to',
            409: 'SESSION_CLOSED: the session is closed; OPERATOR_AT_CAPACITY: that operator is offline or has no free seat; CONFLICT: it is already with that operator',
          },
        },
        handler: async (req, res) => {
          const { sessionId, operatorId, department } = inputOf<SessionParam & { operatorId?: number; department?: string }>(req);
          sendData(res, await chat.transfer(actorOf(req), sessionId, { operatorId, department }));
        },
      },
      {
        method: 'put',
        path: '/sessions/:sessionId/labels',
        summary: "Replace a session's labels (its assigned operator or an admin; closed sessions too); operators hear session:updated",
        access: access.operator,
        schema: schemas.setLabels,
        responds: {
          status: 200,
          schema: 'Session',
          fails: { 400: 'more than 20 labels, or a name that is not one of the team’s labels', 403: 'an operator who is not assigned to the session (an admin may)', 404: 'no such session' },
        },
        handler: async (req, res) => {
          const { sessionId, labels } = inputOf<SessionParam & { labels: string[] }>(req);
          sendData(res, await chat.setLabels(actorOf(req), sessionId, labels));
        },
      },
      {
        method: 'post',
        path: '/sessions/:sessionId/messages',
        summary:
          "Send a message, as JSON or as multipart/form-data with one file (field `file`, optional `content` caption, `clientMessageId`); the same sender's clientMessageId again returns the first message with 200",
        access: access.operatorOrSessionCustomer(),
        before: [limiters.customerMessages],
        schema: schemas.postMessage,
        multipart: { parse: uploads, schema: schemas.postFile },
        responds: {
          status: 201,
          schema: 'Message',
          description: 'The message, stored',
          also: [{ status: 200, description: 'The same sender sent this clientMessageId before: the first message again, never a second row' }],
          fails: {
            400: 'invalid fields (details lists each), a blank message, or one over MAX_MESSAGE_LENGTH characters; a file that is empty, of a type not in UPLOAD_ALLOWED_TYPES (decided from its bytes), an image that cannot be read, two files or none (field `file`)',
            403: 'an operator who is not assigned to the session (an admin may)',
            409: 'SESSION_CLOSED: the session is closed (a retry of a message stored before the close still gets 200)',
            413: 'a file over MAX_UPLOAD_BYTES: reading stops at the limit',
            429: "a customer's messages to this session over RATE_LIMIT_MESSAGES_PER_10_SECONDS (operators are not limited; a retry of a message already stored still gets 200); see Retry-After",
          },
        },
        handler: async (req, res) => {
          const { sessionId, ...message } = inputOf<SessionParam & PostMessageInput>(req);
          if (req.overLimit !== undefined) {
            sendData(res, await messages.retryOverLimit(actorOf(req), sessionId, message.clientMessageId, req.overLimit), { status: 200 });
            return;
          }
          const result = req.upload
            ? await messages.postFile(actorOf(req), sessionId, { file: req.upload, content: message.content, clientMessageId: message.clientMessageId, internal: message.internal })
            : await messages.postMessage(actorOf(req), sessionId, message);
          sendData(res, result.message, { status: result.created ? 201 : 200 });
        },
      },
      {
        method: 'post',
        path: '/sessions/:sessionId/rating',
        summary: 'Rate a closed session, once (its customer)',
        access: access.sessionCustomer(),
        schema: schemas.rateSession,
        responds: {
          status: 200,
          schema: 'Session',
          fails: { 403: 'an operator token: only its customer may rate it', 409: 'CONFLICT: the session is not closed yet, or is already rated' },
        },
        handler: async (req, res) => {
          const { sessionId, rating, comment } = inputOf<SessionParam & { rating: number; comment?: string }>(req);
          sendData(res, await chat.rate(actorOf(req), sessionId, rating, comment));
        },
      },
      {
        method: 'get',
        path: '/sessions/:sessionId/events',
        summary: "The session's audit trail: created, queued, assigned (with strategy and reason), transferred, closed",
        access: access.operator,
        schema: schemas.sessionParam,
        responds: { status: 200, schema: { arrayOf: 'SessionEvent' }, fails: { 404: 'no such session' } },
        handler: async (req, res) => {
          sendData(res, await sessions.auditTrail(actorOf(req), inputOf<SessionParam>(req).sessionId));
        },
      },
      {
        method: 'get',
        path: '/messages/:sessionId',
        summary: 'Messages ascending by id: after=<id> (newer), before=<id> (older), limit ≤ 200; meta.hasMore',
        access: access.operatorOrSessionCustomer(),
        schema: schemas.listMessages,
        responds: { status: 200, schema: { arrayOf: 'Message' } },
        handler: async (req, res) => {
          const { sessionId, after, before, limit } = inputOf<SessionParam & { after?: number; before?: number; limit?: number }>(req);
          const page = await messages.listMessages(actorOf(req), sessionId, { after, before, limit: limit ?? DEFAULT_LIMITS.messages });
          sendData(res, page.messages, { meta: { hasMore: page.hasMore } });
        },
      },
      {
        method: 'get',
        path: '/attachments/:attachmentId',
        summary: "A message's file, by its signed link (exp, sig) or with a token that may read its session",
        access: access.signedLinkOrToken,
        schema: schemas.attachmentParam,
        responds: { status: 200, file: 'The file, as its stored type; Content-Disposition attachment for all but images; Cache-Control private' },
        handler: download('original'),
      },
      {
        method: 'get',
        path: '/attachments/:attachmentId/thumbnail',
        summary: "An image's thumbnail (WebP, at most 320 px a side), by its signed link or with a token that may read its session",
        access: access.signedLinkOrToken,
        schema: schemas.attachmentParam,
        responds: { status: 200, file: 'The thumbnail, image/webp' },
        handler: download('thumbnail'),
      },
    ],
  };
}

