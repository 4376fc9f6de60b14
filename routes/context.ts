import type { Request, RequestHandler } from 'express';
import type { Schemas } from '../middleware/schemas';
import type { RateLimiters } from '../middleware/rateLimits';
import type { AuthService } from '../services/operators/AuthService';
import type { MessageService } from '../services/messages/MessageService';
import type { AttachmentFiles } from '../services/messages/attachments/AttachmentFiles';
import type { ChatService } from '../services/sessions/ChatService';
import type { LabelService } from '../services/labels/LabelService';
import type { CannedResponseService } from '../services/canned/CannedResponseService';
import type { SessionDirectory } from '../services/sessions/SessionDirectory';
import type { OperatorService } from '../services/operators/OperatorService';
import type { SearchService } from '../services/messages/SearchService';
import type { SettingsService } from '../services/settings/SettingsService';
import type { InboundMail } from '../services/mail/InboundMail';
import type { TranscriptService } from '../services/mail/TranscriptService';
import type { PrivacyService } from '../services/privacy/PrivacyService';
import type { AuditLog } from '../services/audit/AuditLog';

/** What the routers need: the services they call, the schemas they validate with. */
export interface RouteContext {
  schemas: Schemas;
  limiters: RateLimiters;
  auth: AuthService;
  chat: ChatService;
  sessions: SessionDirectory;
  messages: MessageService;
  files: AttachmentFiles;
  /** Reads a multipart upload (middleware/multipart.ts), with the configured limits. */
  uploads: RequestHandler;
  operators: OperatorService;
  labels: LabelService;
  canned: CannedResponseService;
  search: SearchService;
  settings: SettingsService;
  inbound: InboundMail;
  transcripts: TranscriptService;
  privacy: PrivacyService;
  audit: AuditLog;
}

/** The validated input of a request (set by the validation middleware), typed by the caller. */
export function inputOf<T>(req: Request): T {
  return (req.input ?? {}) as T;
}
