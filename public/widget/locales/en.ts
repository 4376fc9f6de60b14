import { ENGLISH_COMPOSER_WORDS } from '../../shared/composer';
import { ENGLISH_MESSAGE_WORDS } from '../../shared/messageList';
import type { Words } from '../words';

/** English: the widget's own words, and what it falls back to. */
export const en: Words = {
  dir: 'ltr',

  chatWithUs: 'Chat with us',
  liveChat: 'Live chat',
  minimize: 'Minimize chat',
  unseen: (count) => `${count} new`,

  checkingOnline: 'Checking who is online…',
  startTitle: 'Start a chat',
  startIntro: 'Tell us who you are and an operator will be with you shortly.',
  startButton: 'Start chat',
  leaveTitle: 'Leave a message',
  leaveIntro: (why) => `${why} Leave a message and we'll get back to you by email.`,
  leaveButton: 'Send message',
  nobodyOnline: 'Nobody is online right now.',
  closedNow: "We're closed right now.",
  openAgain: (when, weekday) => `We're closed right now and open again ${weekday ? 'on ' : ''}${when}.`,
  name: 'Name',
  email: 'Email',
  department: 'Department (optional)',
  anyDepartment: 'Any',
  message: 'Message',
  howCanWeHelp: 'How can we help? (optional)',

  conversation: 'Conversation',
  reconnecting: 'Reconnecting…',
  typeAMessage: 'Type a message…',
  sendAMessage: 'Send a message',
  ...ENGLISH_COMPOSER_WORDS,
  endChat: 'End chat',
  ...ENGLISH_MESSAGE_WORDS,
  isTyping: (who) => `${who} is typing…`,
  operator: 'Operator',

  chattingWith: (operatorName) => `You're chatting with ${operatorName}.`,
  inQueue: 'You are in the queue.',
  queuePosition: (position) => `You are number ${position} in the queue.`,
  requeued: 'Your operator had to leave, so you are back in the queue.',
  estimatedWait: (wait) => `Estimated wait: ${wait}.`,
  lessThanAMinute: 'less than a minute',
  about: (amount) => `about ${amount}`,
  leftMessage: (email) =>
    `Thanks, your message was sent.${email ? ` We'll reply to ${email},` : " We'll reply"} or right here if an operator comes online while you are on this page.`,
  ended: 'This chat has ended.',

  rateThisChat: 'Rate this chat',
  howWasThisChat: 'How was this chat?',
  stars: (count) => (count === 1 ? '1 star' : `${count} stars`),
  comment: 'Comment (optional)',
  sendRating: 'Send rating',
  thanks: 'Thanks for your feedback!',
  newChat: 'Start a new chat',

  // The server speaks English: its own message says it best, but for the two a customer can act on.
  problem: (code, said) => {
    if (code === 'VALIDATION_ERROR') return 'Please check the form: some fields are not valid.';
    if (code === 'RATE_LIMITED') return 'Too many attempts. Please wait a minute and try again.';
    return said;
  },
  fileRefused: (_code, said) => said || 'The file could not be sent.',
  somethingWentWrong: 'Something went wrong. Please try again.',
  tryAgain: 'Try again',
};
