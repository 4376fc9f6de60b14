import type { Schema } from 'express-validator';
import type { Config } from '../config';
import { OPERATOR_ROLES, OPERATOR_STATUSES, SESSION_STATUSES, STRATEGY_NAMES } from '../services/contract';

/**
 * express-validator schemas: the same ones check REST requests and Socket.IO payloads (socket payloads are
 * validated as `body`). Types are strict: a number where a string belongs is refused, never coerced.
 */
const METADATA_MAX_BYTES = 4096;

/**
 * express-validator runs isIn, isInt, isUUID, isISO8601 and isBoolean on each element of an array, so `[]`,
 * `['online']` or `?limit=1&limit=2` would pass where one value belongs. Fields checked by those start with this.
 */
const single = (where: 'body' | 'query'): Schema[string] => ({
  isString: { errorMessage: where === 'query' ? 'must be given once' : 'must be a string', bail: true },
});

const oneOf = (values: readonly string[], where: 'body' | 'query' = 'body', optional = true): Schema[string] => ({
  in: [where],
  ...(optional ? { optional: true } : {}),
  ...single(where),
  isIn: { options: [values], errorMessage: `one of ${values.join(', ')}` },
});

const optionalString = (max: number, where: 'body' | 'query' = 'body'): Schema[string] => ({
  in: [where],
  optional: true,
  isString: { errorMessage: 'must be a string', bail: true },
  isLength: { options: { max }, errorMessage: `at most ${max} characters` },
});

const departmentField = (where: 'body' | 'query' = 'body', optional = true): Schema[string] => ({
  in: [where],
  ...(optional ? { optional: true } : {}),
  isString: { errorMessage: 'must be a string', bail: true },
  matches: { options: /^[\w .-]{1,64}$/, errorMessage: 'letters, digits, spaces, . _ - (at most 64)' },
});

const positiveId = (where: 'params' | 'body' | 'query', optional = false): Schema[string] => ({
  in: [where],
  ...(optional ? { optional: true } : {}),
  ...(where === 'body' ? { custom: { options: (v: unknown) => typeof v === 'number', errorMessage: 'must be a number', bail: true } } : {}),
  ...(where === 'query' ? single('query') : {}),
  isInt: { options: { min: 1, max: 2_147_483_647 }, errorMessage: 'must be a positive integer' },
  toInt: true,
});

const messageId = (where: 'query' | 'body', optional = true): Schema[string] => ({
  in: [where],
  ...(optional ? { optional: true } : {}),
  ...(where === 'body' ? { custom: { options: (v: unknown) => typeof v === 'number', errorMessage: 'must be a number', bail: true } } : single('query')),
  isInt: { options: { min: 0 }, errorMessage: 'must be a message id (integer ≥ 0)' },
  toInt: true,
});

/** Page sizes; the default for a missing limit is in DEFAULT_LIMITS. */
export const DEFAULT_LIMITS = { messages: 50, history: 20, search: 20, audit: 50 };

const boundedLimit = (max: number): Schema[string] => ({
  in: ['query'],
  optional: true,
  ...single('query'),
  isInt: { options: { min: 1, max }, errorMessage: `must be an integer from 1 to ${max}` },
  toInt: true,
});

const timeInQuery: Schema[string] = { in: ['query'], optional: true, ...single('query'), isISO8601: { errorMessage: 'must be an ISO-8601 time' }, toDate: true };

const sessionId: Schema[string] = { in: ['params'], isUUID: { options: 4, errorMessage: 'must be a session id (UUID)' } };
const sessionInBody: Schema[string] = {
  in: ['body'],
  isString: { errorMessage: 'must be a string', bail: true },
  isUUID: { options: 4, errorMessage: 'must be a session id (UUID)' },
};

const rating = (): Schema[string] => ({
  in: ['body'],
  custom: { options: (v: unknown) => typeof v === 'number', errorMessage: 'must be a number', bail: true },
  isInt: { options: { min: 1, max: 5 }, errorMessage: 'must be an integer from 1 to 5' },
  toInt: true,
});

/** A transfer names exactly one target: an operator or a department. */
const transferTarget: Schema[string] = {
  in: ['body'],
  custom: {
    options: (_v: unknown, { req }: { req: { body?: Record<string, unknown> } }) =>
      (req.body?.operatorId === undefined) !== (req.body?.department === undefined),
    errorMessage: 'give exactly one of operatorId or department',
  },
};

/** A label's name (PROTOCOL.md "Labels"). */
const LABEL_NAME = /^[a-z0-9-]{1,32}$/;
/** A bound on the list sent; the session's own limit (20 distinct labels) is its transition's to check. */
const MAX_LABELS_SENT = 100;

const labelName = (where: 'body' | 'params' | 'query', optional = false): Schema[string] => ({
  in: [where],
  ...(optional ? { optional: true } : {}),
  ...(where === 'params' ? {} : single(where === 'query' ? 'query' : 'body')),
  matches: { options: LABEL_NAME, errorMessage: 'lowercase letters, digits and - (1 to 32)' },
});

const cannedShortcut = (optional: boolean): Schema[string] => ({
  in: ['body'],
  ...(optional ? { optional: true } : {}),
  ...single('body'),
  matches: { options: /^[a-z0-9_-]{1,32}$/, errorMessage: 'lowercase letters, digits, _ and - (1 to 32)' },
});

export interface Schemas {
  sessionParam: Schema;
  labelParam: Schema;
  listCanned: Schema;
  createCanned: Schema;
  updateCanned: Schema;
  cannedParam: Schema;
  createLabel: Schema;
  setLabels: Schema;
  createSession: Schema;
  closeSession: Schema;
  transferSession: Schema;
  postMessage: Schema;
  /** The text fields of a multipart upload to the same endpoint (the file itself is middleware/multipart.ts's). */
  postFile: Schema;
  attachmentParam: Schema;
  listMessages: Schema;
  rateSession: Schema;
  history: Schema;
  search: Schema;
  updateSettings: Schema;
  activeSessions: Schema;
  login: Schema;
  changePassword: Schema;
  operatorParam: Schema;
  createOperator: Schema;
  updateOperator: Schema;
  setStatus: Schema;
  assign: Schema;
  customerParam: Schema;
  audit: Schema;
  /** Socket payloads: `/customer` events (the session is the socket's own). */
  socketSend: Schema;
  socketSync: Schema;
  socketTyping: Schema;
  socketRead: Schema;
  socketClose: Schema;
  socketRate: Schema;
  socketTranscript: Schema;
  transcript: Schema;
  /** `/operator` events name their session. */
  socketSessionRef: Schema;
  socketStatus: Schema;
  operatorSend: Schema;
  operatorSync: Schema;
  operatorTyping: Schema;
  operatorRead: Schema;
  operatorClose: Schema;
  operatorTransfer: Schema;
  operatorViewing: Schema;
}

export function buildSchemas(config: Config): Schemas {
  const content: Schema[string] = {
    in: ['body'],
    exists: { errorMessage: 'is required', bail: true },
    isString: { errorMessage: 'must be a string', bail: true },
    custom: { options: (v: string) => v.trim().length > 0, errorMessage: 'must not be blank', bail: true },
    isLength: { options: { max: config.maxMessageLength }, errorMessage: `at most ${config.maxMessageLength} characters` },
  };
  // An image or a file is a multipart upload, its type decided from its bytes: a JSON or socket message is text, so
  // no message can claim to be a file it does not carry (the same keyword as before: the fast path still applies).
  const messageType: Schema[string] = { ...oneOf(['text']), isIn: { options: [['text']], errorMessage: 'text: images and files are sent as a multipart upload, with the file' } };
  const internal: Schema[string] = { in: ['body'], optional: true, isBoolean: { options: { strict: true }, errorMessage: 'must be true or false' } };
  const clientMessageId = (required: boolean): Schema[string] => ({
    in: ['body'],
    ...(required ? { exists: { errorMessage: 'is required', bail: true } } : { optional: true }),
    isString: { errorMessage: 'must be a string', bail: true },
    matches: { options: /^[\w:.-]{1,64}$/, errorMessage: 'letters, digits and : . _ - (at most 64)' },
  });
  const password: Schema[string] = {
    in: ['body'],
    isString: { errorMessage: 'must be a string', bail: true },
    isLength: { options: { min: 8, max: 200 }, errorMessage: 'from 8 to 200 characters' },
  };
  const operatorName: Schema[string] = {
    in: ['body'],
    isString: { errorMessage: 'must be a string', bail: true },
    trim: true,
    isLength: { options: { min: 1, max: 120 }, errorMessage: 'from 1 to 120 characters' },
  };
  const departments: Schema[string] = {
    in: ['body'],
    optional: true,
    isArray: { options: { max: 50 }, errorMessage: 'must be an array of at most 50 department names', bail: true },
    custom: {
      options: (v: unknown[]) => v.every((d) => typeof d === 'string' && /^[\w .-]{1,64}$/.test(d)),
      errorMessage: 'each department: letters, digits, spaces, . _ - (at most 64)',
    },
  };
  const capacity: Schema[string] = {
    in: ['body'],
    optional: true,
    custom: { options: (v: unknown) => typeof v === 'number', errorMessage: 'must be a number', bail: true },
    isInt: { options: { min: 1, max: 100 }, errorMessage: 'must be an integer from 1 to 100' },
    toInt: true,
  };

  return {
    sessionParam: { sessionId },
    createSession: {
      customerName: optionalString(120),
      customerEmail: {
        in: ['body'],
        optional: true,
        isString: { errorMessage: 'must be a string', bail: true },
        isEmail: { errorMessage: 'must be an email address', bail: true },
        isLength: { options: { max: 191 }, errorMessage: 'at most 191 characters' },
      },
      customerId: {
        ...optionalString(191),
        matches: { options: /^[^\s]{1,191}$/, errorMessage: 'no spaces, at most 191 characters' },
      },
      identityHash: { ...optionalString(128), isHexadecimal: { errorMessage: 'must be hexadecimal' } },
      department: departmentField(),
      metadata: {
        in: ['body'],
        optional: true,
        isObject: { options: { strict: true }, errorMessage: 'must be an object', bail: true },
        custom: {
          options: (v: unknown) => Buffer.byteLength(JSON.stringify(v)) <= METADATA_MAX_BYTES,
          errorMessage: `at most ${METADATA_MAX_BYTES} bytes as JSON`,
        },
      },
      message: { ...content, exists: undefined, optional: true },
    },
    closeSession: { sessionId, reason: optionalString(500) },
    labelParam: { name: labelName('params') },
    listCanned: { q: optionalString(100, 'query') },
    createCanned: { shortcut: cannedShortcut(false), content, scope: oneOf(['shared', 'personal'], 'body', false), department: departmentField() },
    updateCanned: { id: positiveId('params'), shortcut: cannedShortcut(true), content: { ...content, exists: undefined, optional: true }, department: departmentField() },
    cannedParam: { id: positiveId('params') },
    createLabel: {
      name: labelName('body'),
      color: { in: ['body'], optional: true, ...single('body'), matches: { options: /^#[0-9a-fA-F]{6}$/, errorMessage: 'a colour as #rrggbb' } },
    },
    setLabels: {
      sessionId,
      labels: {
        in: ['body'],
        isArray: { options: { max: MAX_LABELS_SENT }, errorMessage: `a list of label names (at most ${MAX_LABELS_SENT})`, bail: true },
        custom: { options: (names: unknown[]) => names.every((name) => typeof name === 'string' && LABEL_NAME.test(name)), errorMessage: 'each a label name: lowercase letters, digits and - (1 to 32)' },
      },
    },
    transferSession: {
      sessionId,
      operatorId: positiveId('body', true),
      department: departmentField(),
      _target: transferTarget,
    },
    postMessage: { sessionId, content, type: messageType, clientMessageId: clientMessageId(false), internal },
    postFile: {
      sessionId,
      content: { in: ['body'], optional: true, isLength: { options: { max: config.maxMessageLength }, errorMessage: `at most ${config.maxMessageLength} characters` } },
      clientMessageId: clientMessageId(false),
      // A form field is text: "true" or "false".
      internal: { in: ['body'], optional: true, isIn: { options: [['true', 'false']], errorMessage: 'must be true or false' }, toBoolean: { options: [true] } },
    },
    attachmentParam: { attachmentId: { in: ['params'], isUUID: { options: 4, errorMessage: 'must be an attachment id (UUID)' } } },
    listMessages: { sessionId, after: messageId('query'), before: messageId('query'), limit: boundedLimit(200) },
    rateSession: {
      sessionId,
      rating: rating(),
      comment: optionalString(2000),
    },
    history: {
      status: oneOf(SESSION_STATUSES, 'query'),
      operatorId: positiveId('query', true),
      customerId: optionalString(191, 'query'),
      from: timeInQuery,
      to: timeInQuery,
      label: labelName('query', true),
      rating: { in: ['query'], optional: true, ...single('query'), isInt: { options: { min: 1, max: 5 }, errorMessage: 'must be an integer from 1 to 5' }, toInt: true },
      offline: { in: ['query'], optional: true, ...single('query'), isIn: { options: [['true', 'false']], errorMessage: 'must be true or false' }, toBoolean: { options: [true] } },
      limit: boundedLimit(100),
      cursor: optionalString(500, 'query'),
    },
    search: {
      q: { in: ['query'], ...single('query'), isLength: { options: { min: 2, max: 200 }, errorMessage: '2 to 200 characters' } },
      from: timeInQuery,
      to: timeInQuery,
      operatorId: positiveId('query', true),
      label: labelName('query', true),
      limit: boundedLimit(50),
      cursor: optionalString(500, 'query'),
    },
    // The kinds here; each setting's whole content is SettingsService's to check (settingsProblems).
    updateSettings: {
      businessHours: {
        in: ['body'],
        // null clears the business hours: always open.
        optional: { options: { values: 'null' } },
        isObject: { options: { strict: true }, errorMessage: 'an object { timezone, week, closedDates }, or null' },
      },
      offlineNotifyEmails: { in: ['body'], optional: true, isArray: { options: { max: 50 }, errorMessage: 'a list of email addresses (at most 50)' } },
      departments: { in: ['body'], optional: true, isArray: { options: { max: 100 }, errorMessage: 'a list of { name, offlineNotifyEmails } (at most 100)' } },
    },
    activeSessions: { mine: { in: ['query'], optional: true, ...single('query'), isBoolean: { errorMessage: 'must be true or false' }, toBoolean: true } },
    login: {
      email: { in: ['body'], isString: { errorMessage: 'must be a string', bail: true }, isLength: { options: { min: 1, max: 191 }, errorMessage: 'is required' } },
      password: { in: ['body'], isString: { errorMessage: 'must be a string', bail: true }, isLength: { options: { min: 1, max: 200 }, errorMessage: 'is required' } },
    },
    changePassword: {
      currentPassword: { in: ['body'], isString: { errorMessage: 'must be a string', bail: true }, isLength: { options: { min: 1, max: 200 }, errorMessage: 'is required' } },
      newPassword: password,
    },
    operatorParam: { operatorId: positiveId('params') },
    createOperator: {
      name: operatorName,
      email: {
        in: ['body'],
        isString: { errorMessage: 'must be a string', bail: true },
        isEmail: { errorMessage: 'must be an email address', bail: true },
        isLength: { options: { max: 191 }, errorMessage: 'at most 191 characters' },
      },
      password,
      role: oneOf(OPERATOR_ROLES),
      maxConcurrentSessions: capacity,
      departments,
    },
    updateOperator: {
      operatorId: positiveId('params'),
      name: { ...operatorName, optional: true },
      password: { ...password, optional: true },
      role: oneOf(OPERATOR_ROLES),
      maxConcurrentSessions: capacity,
      departments,
      disabled: { in: ['body'], optional: true, isBoolean: { options: { strict: true }, errorMessage: 'must be true or false' } },
    },
    setStatus: {
      operatorId: positiveId('params'),
      status: oneOf(OPERATOR_STATUSES, 'body', false),
    },
    assign: {
      sessionId: { in: ['body'], ...single('body'), isUUID: { options: 4, errorMessage: 'must be a session id (UUID)' } },
      strategy: oneOf(STRATEGY_NAMES),
      operatorId: positiveId('body', true),
    },
    customerParam: { customerId: { in: ['params'], isLength: { options: { min: 1, max: 191 }, errorMessage: 'at most 191 characters' } } },
    audit: { limit: boundedLimit(100), cursor: optionalString(500, 'query') },
    socketSend: { content, type: messageType, clientMessageId: clientMessageId(true), internal },
    socketSync: { afterId: messageId('body', false) },
    socketTyping: { isTyping: { in: ['body'], isBoolean: { options: { strict: true }, errorMessage: 'must be true or false' } } },
    socketRead: { upToId: messageId('body', false) },
    socketClose: { reason: optionalString(500) },
    socketRate: { rating: rating(), comment: optionalString(2000) },
    socketTranscript: {},
    transcript: {
      sessionId,
      email: { in: ['body'], optional: true, isString: { errorMessage: 'must be a string', bail: true }, isEmail: { errorMessage: 'must be an email address' }, isLength: { options: { max: 191 }, errorMessage: 'at most 191 characters' } },
    },
    socketSessionRef: { sessionId: sessionInBody },
    socketStatus: { status: oneOf(OPERATOR_STATUSES, 'body', false) },
    operatorSend: { sessionId: sessionInBody, content, type: messageType, clientMessageId: clientMessageId(true), internal },
    operatorSync: { sessionId: sessionInBody, afterId: messageId('body', false) },
    operatorTyping: {
      sessionId: sessionInBody,
      isTyping: { in: ['body'], isBoolean: { options: { strict: true }, errorMessage: 'must be true or false' } },
      internal: { in: ['body'], optional: true, isBoolean: { options: { strict: true }, errorMessage: 'must be true or false' } },
    },
    operatorRead: { sessionId: sessionInBody, upToId: messageId('body', false) },
    operatorClose: { sessionId: sessionInBody, reason: optionalString(500) },
    operatorTransfer: { sessionId: sessionInBody, operatorId: positiveId('body', true), department: departmentField(), _target: transferTarget },
    operatorViewing: { sessionId: sessionInBody, viewing: { in: ['body'], isBoolean: { options: { strict: true }, errorMessage: 'must be true or false' } } },
  };
}
