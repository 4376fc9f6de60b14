import express from 'express';
import { access } from '../middleware/auth';
import { sendData } from '../middleware/responseFormatter';
import type { RouteContext } from './context';
import type { RouteGroup } from './registry';

/** A mail provider's inbound hook may post a whole mail with its attachments; past this, 413. */
const LARGEST_MAIL_BYTES = 25 * 1024 * 1024;

/** Mail coming in (PROTOCOL.md "Email"): a customer's reply by email, posted raw by the mail provider. */
export function inboundRoutes({ inbound }: RouteContext): RouteGroup {
  return {
    prefix: '/api/inbound',
    tag: 'inbound',
    routes: [
      {
        method: 'post',
        path: '/email',
        summary: 'A reply by email, posted raw by the mail provider (Content-Type: message/rfc822, Authorization: Bearer INBOUND_EMAIL_SECRET): stored as the customer’s message in the session its reply address names',
        access: access.public,
        bodyTypes: ['message/rfc822'],
        before: [
          (req, _res, next) => {
            try {
              inbound.authorize(req.headers.authorization);
              next();
            } catch (error) {
              next(error);
            }
          },
          express.raw({ type: 'message/rfc822', limit: LARGEST_MAIL_BYTES }),
        ],
        responds: {
          status: 201,
          schema: 'Message',
          also: [{ status: 200, description: 'the same mail (Message-ID) again: the message stored the first time' }],
          fails: {
            400: 'not a mail, or a mail with no text',
            401: 'a missing or wrong INBOUND_EMAIL_SECRET',
            404: 'no recipient is a valid reply address; or INBOUND_EMAIL_SECRET (or mail) is not set up',
            409: 'SESSION_CLOSED: the session was erased (a closed one opens again)',
            413: 'a mail over 25 MB',
          },
        },
        handler: async (req, res) => {
          const { message, created } = await inbound.receive(req.headers.authorization, req.body);
          sendData(res, message, { status: created ? 201 : 200 });
        },
      },
    ],
  };
}
