import type { Words } from '../words';

/** Failures said in French; the server's own messages are English, so a code not listed gets OTHER. */
const PROBLEMS: Readonly<Record<string, string>> = {
  VALIDATION_ERROR: 'Veuillez vérifier le formulaire\u00a0: certains champs ne sont pas valides.',
  RATE_LIMITED: 'Trop de tentatives. Patientez une minute, puis réessayez.',
  NETWORK: 'Le serveur de chat est injoignable. Vérifiez votre connexion et réessayez.',
  TIMEOUT: "Le serveur n'a pas répondu à temps.",
  SESSION_CLOSED: 'Cette conversation est déjà terminée.',
  SERVICE_UNAVAILABLE: 'Le service est momentanément indisponible. Réessayez dans un instant.',
};
const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  PAYLOAD_TOO_LARGE: 'Ce fichier est trop volumineux pour être envoyé.',
  VALIDATION_ERROR: "Ce fichier ne peut pas être envoyé\u00a0: ce type de fichier n'est pas accepté, ou le fichier est vide ou illisible.",
  NETWORK: "Le fichier n'a pas pu être envoyé\u00a0: il est peut-être trop volumineux, ou la connexion a été coupée.",
};
const OTHER = "Une erreur s'est produite. Veuillez réessayer.";

/** French (a no-break space before the two-part punctuation, as French typography wants). */
export const fr: Words = {
  dir: 'ltr',

  chatWithUs: 'Discuter avec nous',
  liveChat: 'Chat en direct',
  minimize: 'Réduire le chat',
  unseen: (count) => (count === 1 ? '1 nouveau' : `${count} nouveaux`),

  checkingOnline: 'Recherche des conseillers en ligne…',
  startTitle: 'Démarrer une conversation',
  startIntro: 'Dites-nous qui vous êtes et un conseiller vous répondra sous peu.',
  startButton: 'Démarrer la conversation',
  leaveTitle: 'Laisser un message',
  leaveIntro: (why) => `${why} Laissez-nous un message et nous vous répondrons par e-mail.`,
  leaveButton: 'Envoyer le message',
  nobodyOnline: "Personne n'est en ligne pour le moment.",
  closedNow: 'Nous sommes fermés pour le moment.',
  openAgain: (when, weekday) => `Nous sommes fermés pour le moment et rouvrons ${weekday ? '' : 'le '}${when}.`,
  name: 'Nom',
  email: 'E-mail',
  department: 'Service (facultatif)',
  anyDepartment: 'Indifférent',
  message: 'Message',
  howCanWeHelp: 'Comment pouvons-nous vous aider\u00a0? (facultatif)',

  conversation: 'Conversation',
  reconnecting: 'Reconnexion…',
  typeAMessage: 'Écrivez un message…',
  sendAMessage: 'Envoyer un message',
  send: 'Envoyer',
  attach: 'Joindre',
  attachAFile: 'Joindre un fichier',
  attachHint: 'Joindre un fichier (ou le coller ou le déposer ici)',
  charactersLeft: (left) => `${left} caractères restants`,
  tooLong: (max, length) => `Trop long pour être envoyé\u00a0: ${max} caractères au plus (celui-ci en a ${length}).`,
  endChat: 'Terminer',
  sending: 'Envoi…',
  sent: 'Envoyé',
  read: 'Lu',
  notSent: 'Non envoyé',
  willRetry: 'Pas encore envoyé\u00a0: nouvel essai dès le retour de la connexion',
  sendingFile: (fileName) => `Envoi de ${fileName}`,
  openFullSize: (fileName) => `Ouvrir ${fileName} en taille réelle`,
  isTyping: (who) => `${who} écrit…`,
  operator: 'Conseiller',

  chattingWith: (operatorName) => `Vous discutez avec ${operatorName}.`,
  inQueue: "Vous êtes dans la file d'attente.",
  queuePosition: (position) => `Vous êtes en position ${position} dans la file d'attente.`,
  requeued: "Votre conseiller a dû partir\u00a0: vous êtes de nouveau dans la file d'attente.",
  estimatedWait: (wait) => `Attente estimée\u00a0: ${wait}.`,
  lessThanAMinute: "moins d'une minute",
  about: (amount) => `environ ${amount}`,
  leftMessage: (email) =>
    `Merci, votre message a bien été envoyé. Nous vous répondrons ${email ? `à ${email}, ` : ''}ou directement ici si un conseiller se connecte pendant que vous êtes sur cette page.`,
  ended: 'Cette conversation est terminée.',

  rateThisChat: 'Évaluer cette conversation',
  howWasThisChat: "Comment s'est passée cette conversation\u00a0?",
  stars: (count) => (count === 1 ? '1 étoile' : `${count} étoiles`),
  comment: 'Commentaire (facultatif)',
  sendRating: 'Envoyer la note',
  thanks: 'Merci pour votre avis\u00a0!',
  newChat: 'Démarrer une nouvelle conversation',

  problem: (code) => PROBLEMS[code] ?? OTHER,
  fileRefused: (code) => FILE_PROBLEMS[code] ?? "Le fichier n'a pas pu être envoyé.",
  somethingWentWrong: OTHER,
  tryAgain: 'Réessayer',
};
