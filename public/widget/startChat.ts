import { el } from '../shared/dom';
import type { Http } from '../shared/http';
import type { MessageLimit } from '../shared/composer';
import type { Availability, Session } from '../shared/protocol';
import { startForm, type StartFields } from './forms';
import type { Locale } from './i18n';
import { describe, problemView } from './problem';
import type { ChatStorage } from './storage';
import type { Words } from './words';

/** Metadata that marks a session started from the "leave a message" form. */
const LEFT_MESSAGE = 'leftMessage';

export interface Created {
  session: Session;
  customerToken: string;
}

/**
 * Starting a session: the start form while someone is online within business hours, else the offline "leave a
 * message" form (saying when the team opens again, outside its hours); either
 * creates the session and hands it on. The name and email of the last chat started here fill the form in.
 */
export class StartChat {
  constructor(
    private readonly http: Http,
    private readonly departments: string[],
    private readonly locale: Locale,
    private readonly storage: ChatStorage,
    private readonly limit: MessageLimit,
    private readonly setBody: (...nodes: Node[]) => void,
    private readonly created: (created: Created) => void,
  ) {}

  async show(): Promise<void> {
    const { words } = this.locale;
    this.setBody(el('p', { className: 'lc-status', role: 'status', text: words.checkingOnline }));
    let availability: Availability;
    try {
      availability = await this.http.call<Availability>('GET', '/api/chat/availability');
    } catch (error) {
      this.setBody(problemView(error, words, () => void this.show()));
      return;
    }
    this.limit.max = availability.maxMessageLength;
    // Outside business hours the team is closed even if someone is online (PROTOCOL.md: "leave a message").
    const closed = availability.withinBusinessHours === false;
    const kind = availability.online && !closed ? 'chat' : 'leave-message';
    const closedUntil = closed ? (availability.nextOpenAt ? new Date(availability.nextOpenAt) : null) : undefined;
    const form = startForm(
      kind,
      {
        departments: this.departments,
        locale: this.locale,
        remembered: this.storage.loadCustomer(),
        onSubmit: (fields) => {
          this.begin(fields, kind === 'leave-message').catch((error: unknown) => form.fail(describe(error, words)));
        },
      },
      closedUntil,
    );
    this.setBody(form.root);
    form.focus();
  }

  private async begin(fields: StartFields, leftMessage: boolean): Promise<void> {
    // Where the customer is, for the operator's customer panel (the server caps metadata at 4 KB).
    const metadata: Record<string, unknown> = {
      page: location.href.slice(0, 500),
      pageTitle: document.title.slice(0, 200),
      referrer: document.referrer.slice(0, 500),
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      language: navigator.language,
    };
    if (leftMessage) metadata[LEFT_MESSAGE] = true;
    const created = await this.http.call<Created>('POST', '/api/chat/sessions', {
      customerName: fields.customerName,
      customerEmail: fields.customerEmail,
      ...(fields.department ? { department: fields.department } : {}),
      ...(fields.message ? { message: fields.message } : {}),
      metadata,
    });
    // Kept only once the server took them: a refused address is not offered again.
    this.storage.saveCustomer({ customerName: fields.customerName, customerEmail: fields.customerEmail });
    this.created(created);
  }
}

/** The status line of a session started from the "leave a message" form; null for any other. */
export function leftMessageStatus(session: Session, words: Words): string | null {
  if (session.metadata?.[LEFT_MESSAGE] !== true) return null;
  return words.leftMessage(session.customerEmail);
}
