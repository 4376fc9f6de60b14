import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type Redis from 'ioredis';
import type { Config } from '../config';
import { createSequelize } from '../config/database';
import { createRedis } from '../config/redis';
import { Db } from '../models/db';
import { createMigrator } from '../models/migrator';
import { countWaiting } from '../models/queries/sessions';
import { MemoryStore } from '../services/cache/MemoryStore';
import { OperatorCache } from '../services/cache/OperatorCache';
import { RedisStore } from '../services/cache/RedisStore';
import { StateCache } from '../services/cache/StateCache';
import { loadSnapshot } from '../services/cache/snapshot';
import { DomainEvents } from '../services/events/DomainEvents';
import { NotificationService } from '../services/events/NotificationService';
import { WebhookDispatcher } from '../services/events/webhooks/WebhookDispatcher';
import { OutboxWorker } from '../services/mail/OutboxWorker';
import { smtpTransport } from '../services/mail/MailTransport';
import { ReplyMailer } from '../services/mail/ReplyMailer';
import { InboundMail } from '../services/mail/InboundMail';
import { TranscriptService } from '../services/mail/TranscriptService';
import { Sweeper } from '../services/jobs/Sweeper';
import { MessageReader } from '../services/messages/MessageReader';
import { MessageService } from '../services/messages/MessageService';
import { MessageWriter } from '../services/messages/MessageWriter';
import { AttachmentFiles } from '../services/messages/attachments/AttachmentFiles';
import { AuditLog } from '../services/audit/AuditLog';
import { PrivacyService } from '../services/privacy/PrivacyService';
import { RetentionJob } from '../services/jobs/RetentionJob';
import { DatabaseFileStore } from '../services/messages/attachments/DatabaseFileStore';
import { DiskFileStore } from '../services/messages/attachments/DiskFileStore';
import { AttachmentLinks } from '../services/messages/attachments/links';
import { AuthService } from '../services/operators/AuthService';
import { OperatorDirectory } from '../services/operators/availability';
import { bootstrapAdmin } from '../services/operators/bootstrapAdmin';
import { OperatorService } from '../services/operators/OperatorService';
import { PresenceService } from '../services/operators/PresenceService';
import { Assigner } from '../services/routing/Assigner';
import { ChatService } from '../services/sessions/ChatService';
import { SessionDirectory } from '../services/sessions/SessionDirectory';
import { LabelService } from '../services/labels/LabelService';
import { CannedResponseService } from '../services/canned/CannedResponseService';
import { SearchService } from '../services/messages/SearchService';
import { SettingsService } from '../services/settings/SettingsService';
import { Transitions } from '../services/sessions/transitions/pipeline';
import { reopenSession } from '../services/sessions/transitions/reopen';
import { buildSchemas } from '../middleware/schemas';
import { httpMetrics } from '../middleware/httpMetrics';
import { createRateLimiters } from '../middleware/rateLimits';
import { multipartUpload } from '../middleware/multipart';
import { HealthService } from '../services/health';
import { createApp } from './http/app';
import { createLogger, type Logger } from './observability/logger';
import { ServerMetrics } from './observability/metrics/ServerMetrics';
import { ClusterMetrics } from './observability/metrics/clusterMetrics';
import { createRealtime, type Realtime } from './realtime';
import { drainHttp, runShutdown, stopAccepting, type ShutdownStep } from './shutdown';

export interface ChatServer {
  app: Express;
  httpServer: http.Server;
  db: Db;
  cache: StateCache;
  logger: Logger;
  events: DomainEvents;
  transitions: Transitions;
  assigner: Assigner;
  chat: ChatService;
  sessions: SessionDirectory;
  labels: LabelService;
  canned: CannedResponseService;
  search: SearchService;
  settings: SettingsService;
  inbound: InboundMail;
  transcripts: TranscriptService;
  messages: MessageService;
  files: AttachmentFiles;
  operators: OperatorService;
  auth: AuthService;
  presence: PresenceService;
  sweeper: Sweeper;
  privacy: PrivacyService;
  audit: AuditLog;
  retention: RetentionJob;
  realtime: Realtime;
  /** Migrates (when configured), bootstraps the admin, builds the cache, listens. Resolves with the port. */
  start(): Promise<number>;
  /** Graceful stop as named steps (src/shutdown.ts); runs once however often it is called. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  /** How long in-flight requests get to finish on stop. */
  drainTimeoutMs?: number;
}

/** How long queued and in-flight webhook deliveries get on stop. */
const WEBHOOK_STOP_DEADLINE_MS = 1_500;
/** Connections waiting to be accepted (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;
/** The deadline of every other shutdown step. */
const STEP_DEADLINE_MS = 5_000;

/** Uploads read and worked on at once per process (middleware/multipart.ts): images are re-encoded one at a time. */
const UPLOADS_AT_ONCE = 1;

/** The composition root: builds every dependency from the config and wires them together. */
export function createServer(config: Config, options: ServerOptions = {}): ChatServer {
  const logger = options.logger ?? createLogger(config.logLevel);
  const drainTimeoutMs = options.drainTimeoutMs ?? 8_000;
  const db = new Db(createSequelize(config.db));
  const redis: Redis | null = config.redis ? createRedis(config.redis, { keyPrefix: config.redis.keyPrefix }) : null;
  const cache = new StateCache(redis ? new RedisStore(redis) : new MemoryStore(), () => loadSnapshot(db), logger);
  const operatorCache = new OperatorCache(db, cache, logger);
  const events = new DomainEvents(logger);
  // Transitions drain the queue into the seats they free; routing's passes are transitions themselves.
  const transitions: Transitions = new Transitions({ db, cache, operatorCache, events, drain: () => assigner.drain(), logger });
  const assigner = new Assigner(db, transitions, cache, config, () => settings.current(), logger);
  const fileStores = { database: new DatabaseFileStore(db), disk: new DiskFileStore(config.attachments.dir) };
  const files = new AttachmentFiles(db, fileStores, config.attachments, new AttachmentLinks(config.jwtSecret, config.attachments.urlTtlSeconds), logger);
  const describeFiles = (ids: string[]) => files.describe(ids);
  const writer = new MessageWriter(db, describeFiles, logger);
  const reader = new MessageReader(db, describeFiles);
  const messages = new MessageService(db, writer, reader, events, files, config.maxMessageLength);
  const audit = new AuditLog(db);
  const directory = new OperatorDirectory(db, cache);
  const settings = new SettingsService(db, audit);
  const chat = new ChatService(
    db,
    transitions,
    assigner,
    config,
    directory,
    async (actor, sessionId, content) => (await messages.postMessage(actor, sessionId, { content })).message,
  );
  const sessions = new SessionDirectory(db, directory, () => settings.businessHours(), config.maxMessageLength);
  const labels = new LabelService(db, transitions, audit);
  const canned = new CannedResponseService(db, config.maxMessageLength);
  const search = new SearchService(db, describeFiles);
  const inbound = new InboundMail(config.mail, config.jwtSecret, messages, config.maxMessageLength, (sessionId) =>
    transitions.run((step) => reopenSession(step, sessionId, 'reopened: the customer replied by email')),
  );
  const transcripts = new TranscriptService(db, config.mail);
  const operators = new OperatorService(db, operatorCache, directory, events, assigner, audit);
  // Notes included: an export is everything held of the customer.
  const privacy = new PrivacyService(db, transitions, (sessionId) => reader.since(sessionId, 0, true), files, audit, events, logger);
  const retention = new RetentionJob(db, privacy, config.messageRetentionDays, logger);
  const presence = new PresenceService(db, operatorCache, assigner, events, config, logger);
  const sweeper = new Sweeper(db, chat, assigner, presence, config, logger);
  const auth = new AuthService(db, chat, config.jwtSecret, events, audit, (operatorId) => {
    presence.touch(operatorId).catch((error: unknown) => logger.warn({ err: error, operatorId }, 'presence touch failed'));
  });
  events.on('operator.updated', ({ operator }) => auth.forget(operator.id));
  let accepting = false;
  const metrics = new ServerMetrics({ logger, waitingSessions: () => countWaiting(db) });
  const measured = [
    events.on('message.created', ({ message }) => metrics.messageStored(message.senderType)),
    events.on('session.assigned', ({ session, strategy }) => metrics.assigned(strategy, session.createdAt, session.assignedAt)),
    events.on('session.first_response', ({ seconds }) => metrics.firstResponse(seconds)),
  ];
  const clusterMetrics = new ClusterMetrics(metrics.registry, redis, logger);
  const webhooks = config.webhook ? new WebhookDispatcher(events, config.webhook, metrics.webhooks, logger) : null;

  const schemas = buildSchemas(config);
  // A caption is counted in characters (MAX_MESSAGE_LENGTH), a field in bytes: room for four bytes a character.
  const uploads = multipartUpload({ maxFileBytes: config.attachments.maxUploadBytes, maxFieldBytes: config.maxMessageLength * 4 + 1024, atOnce: UPLOADS_AT_ONCE });
  // One set for REST and sockets: a customer's session has one message count, whichever way its messages come.
  const limiters = createRateLimiters(config, redis);
  const routes = { schemas, limiters, auth, chat, sessions, messages, files, uploads, operators, labels, canned, search, settings, inbound, transcripts, privacy, audit };
  const metricsEndpoint = { render: () => clusterMetrics.render(), contentType: clusterMetrics.contentType, token: config.metricsToken };
  const app = createApp({ config, logger, health: new HealthService(db, cache), isAccepting: () => accepting, routes, metrics: { record: httpMetrics(metrics), endpoint: metricsEndpoint } });
  const httpServer = http.createServer(app);
  const realtime = createRealtime(httpServer, { config, logger, schemas, auth, chat, messages, sessions, operators, presence, transcripts, sessionBuckets: limiters.sessionBuckets });
  const outbox = config.mail ? new OutboxWorker(db, smtpTransport(config.mail.smtpUrl, config.mail.from), logger) : null;
  const replyMails = config.mail
    ? new ReplyMailer(db, config.mail, config.jwtSecret, config.mail.replyDelaySeconds, (sessionId) => realtime.customerConnected(sessionId), logger)
    : null;
  const notifications = new NotificationService(db, events, realtime.audience, logger);
  metrics.watchSockets(() => ({ '/customer': realtime.customers.sockets.size, '/operator': realtime.operators.sockets.size }));

  if (redis) {
    // ioredis logs nothing itself; without a listener an 'error' event would be thrown.
    redis.on('error', (error: Error) => logger.debug({ err: error.message }, 'redis connection error'));
    redis.on('ready', () => void cache.ensureBuilt());
  }

  async function start(): Promise<number> {
    await db.sequelize.authenticate().catch((error: Error) => {
      throw db.dialect === 'sqlite' ? new Error(`cannot open the SQLite file ${config.db.storage} (DB_STORAGE): ${error.message}`) : error;
    });
    // Asked now, once: asked first inside a routing pass, it would take a second connection while the pass holds locks.
    await db.insertIdStep();
    if (db.dialect === 'sqlite' && config.db.storage !== ':memory:') await db.sequelize.query('PRAGMA journal_mode = WAL');
    const migrator = createMigrator(db.sequelize);
    if (config.db.migrateOnStart) {
      const applied = await migrator.up();
      if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    } else if ((await migrator.pending()).length > 0) {
      throw new Error('the database schema is not up to date: run `npm run db:init` or set DB_MIGRATE_ON_START=true');
    }
    await bootstrapAdmin(db, logger, config.adminEmail, config.adminPassword, firstRunFile(config));
    if (redis) {
      await redis.connect().catch((error: Error) => {
        logger.warn({ err: error.message }, 'redis unreachable at start; serving from the database until it answers');
      });
    }
    await cache.start();
    await realtime.start();
    notifications.start();
    webhooks?.start();
    clusterMetrics.start();
    if (config.jwtSecretGenerated) {
      logger.warn('JWT_SECRET is not set: using a random secret, so operator tokens end with this process');
    }
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      // A deep accept queue: after a restart every widget reconnects within seconds, and connections the
      // queue cannot hold are reset (the client then waits out a longer backoff) rather than answered late.
      httpServer.listen({ port: config.port, backlog: LISTEN_BACKLOG }, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    accepting = true;
    sweeper.start();
    void sweeper.tick();
    outbox?.start();
    replyMails?.start();
    retention.start();
    const port = (httpServer.address() as AddressInfo).port;
    logger.info({ port, database: db.dialect, cache: cache.kind }, 'chat server listening');
    return port;
  }

  /** DESIGN.md's order: stop taking work, let what was taken finish, then close what it needed. */
  const shutdown: ShutdownStep[] = [
    { name: 'readiness', deadlineMs: STEP_DEADLINE_MS, run: () => (accepting = false) },
    { name: 'sweeper', deadlineMs: STEP_DEADLINE_MS, run: () => sweeper.stop() },
    { name: 'reply mails', deadlineMs: STEP_DEADLINE_MS, run: () => replyMails?.stop() },
    { name: 'retention', deadlineMs: STEP_DEADLINE_MS, run: () => retention.stop() },
    // The listener first: the clients about to lose their sockets reconnect at once, and must be refused (and go
    // to a process that serves) rather than wait on a port this process no longer answers upgrades on.
    {
      name: 'sockets',
      deadlineMs: STEP_DEADLINE_MS,
      run: () => {
        void stopAccepting(httpServer);
        return realtime.disconnectAll();
      },
    },
    { name: 'http', deadlineMs: drainTimeoutMs + 1_000, run: () => drainHttp(httpServer, drainTimeoutMs) },
    // A publish still running may start a drain, and a drain's passes publish: news first, then routing, then again.
    {
      name: 'routing and writes',
      deadlineMs: STEP_DEADLINE_MS,
      run: async () => {
        await transitions.idle();
        await Promise.all([assigner.idle(), writer.idle()]);
        await transitions.idle();
      },
    },
    // Nothing emits any more: what is queued for the webhook gets a short while, never the whole stop.
    { name: 'webhooks', deadlineMs: WEBHOOK_STOP_DEADLINE_MS + 500, run: () => webhooks?.stop(WEBHOOK_STOP_DEADLINE_MS) },
    // A mail being handed to the mail server finishes (its row says so); the rest waits in the outbox.
    { name: 'mail', deadlineMs: 35_000, run: () => outbox?.stop() },
    { name: 'notifications', deadlineMs: STEP_DEADLINE_MS, run: () => notifications.stop() },
    { name: 'metrics', deadlineMs: STEP_DEADLINE_MS, run: () => (measured.forEach((off) => off()), clusterMetrics.stop()) },
    { name: 'socket.io adapter', deadlineMs: STEP_DEADLINE_MS, run: () => realtime.close() },
    { name: 'cache', deadlineMs: STEP_DEADLINE_MS, run: () => cache.stop() },
    { name: 'database', deadlineMs: STEP_DEADLINE_MS, run: () => db.close() },
  ];
  let stopping: Promise<void> | null = null;
  function stop(): Promise<void> {
    stopping ??= runShutdown(shutdown, logger).then((unclean) => {
      if (unclean.length === 0) logger.info('chat server stopped');
      else logger.warn({ unclean }, 'chat server stopped; some steps did not finish cleanly');
    });
    return stopping;
  }

  return { app, httpServer, db, cache, logger, events, transitions, assigner, chat, sessions, labels, canned, search, settings, inbound, transcripts, messages, files, operators, auth, presence, sweeper, privacy, audit, retention, realtime, start, stop };
}

/**
 * Where a first start leaves the console password it made: only on the embedded default (a SQLite file,
 * outside production), beside the database. A deployment on MySQL, or in production, makes no account itself.
 */
function firstRunFile(config: Config): string | undefined {
  const { db } = config;
  if (config.env === 'production' || db.dialect !== 'sqlite' || db.storage === ':memory:') return undefined;
  return path.join(path.dirname(db.storage), 'first-run-admin.txt');
}
