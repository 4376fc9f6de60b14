import type { Words } from '../words';

/** Failures said in Arabic; the server's own messages are English, so a code not listed gets OTHER. */
const PROBLEMS: Readonly<Record<string, string>> = {
  VALIDATION_ERROR: 'يرجى مراجعة النموذج: بعض الحقول غير صالحة.',
  RATE_LIMITED: 'محاولات كثيرة جدًا. يرجى الانتظار دقيقة ثم المحاولة مجددًا.',
  NETWORK: 'تعذّر الوصول إلى خادم الدردشة. تحقّق من اتصالك وحاول مجددًا.',
  TIMEOUT: 'لم يردّ الخادم في الوقت المحدد.',
  SESSION_CLOSED: 'انتهت هذه المحادثة بالفعل.',
  SERVICE_UNAVAILABLE: 'الخدمة غير متاحة مؤقتًا. حاول مجددًا بعد قليل.',
};
const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  PAYLOAD_TOO_LARGE: 'هذا الملف أكبر من أن يُرسَل.',
  VALIDATION_ERROR: 'لا يمكن إرسال هذا الملف: نوعه غير مقبول، أو أنه فارغ أو تتعذّر قراءته.',
  NETWORK: 'تعذّر إرسال الملف: ربما يكون كبيرًا جدًا، أو انقطع الاتصال.',
};
const OTHER = 'حدث خطأ ما. يرجى المحاولة مجددًا.';

/**
 * Arabic, right to left. Counts that Arabic inflects (stars, new messages) are said so that one form fits
 * every number shown: a label and the number, or the dual and plural of the few numbers there can be.
 */
export const ar: Words = {
  dir: 'rtl',

  chatWithUs: 'تحدّث معنا',
  liveChat: 'الدردشة المباشرة',
  minimize: 'تصغير الدردشة',
  unseen: (count) => `جديد: ${count}`,

  checkingOnline: 'نتحقّق من الموظفين المتصلين…',
  startTitle: 'ابدأ محادثة',
  startIntro: 'أخبرنا من أنت وسيكون أحد موظفينا معك قريبًا.',
  startButton: 'ابدأ المحادثة',
  leaveTitle: 'اترك رسالة',
  leaveIntro: (why) => `${why} اترك لنا رسالة وسنردّ عليك عبر البريد الإلكتروني.`,
  leaveButton: 'أرسل الرسالة',
  nobodyOnline: 'لا يوجد أحد متصل الآن.',
  closedNow: 'نحن مغلقون الآن.',
  openAgain: (when, weekday) => `نحن مغلقون الآن ونفتح مجددًا ${weekday ? 'يوم ' : 'في '}${when}.`,
  name: 'الاسم',
  email: 'البريد الإلكتروني',
  department: 'القسم (اختياري)',
  anyDepartment: 'أي قسم',
  message: 'الرسالة',
  howCanWeHelp: 'كيف يمكننا مساعدتك؟ (اختياري)',

  conversation: 'المحادثة',
  reconnecting: 'جارٍ إعادة الاتصال…',
  typeAMessage: 'اكتب رسالة…',
  sendAMessage: 'أرسل رسالة',
  send: 'إرسال',
  attach: 'إرفاق',
  attachAFile: 'إرفاق ملف',
  attachHint: 'إرفاق ملف (أو الصقه أو أفلته هنا)',
  charactersLeft: (left) => `بقي ${left} حرفًا`,
  tooLong: (max, length) => `الرسالة أطول من أن تُرسل: ${max} حرف على الأكثر (وفي هذه ${length}).`,
  endChat: 'إنهاء المحادثة',
  sending: 'جارٍ الإرسال…',
  sent: 'أُرسلت',
  read: 'قُرئت',
  notSent: 'لم تُرسَل',
  willRetry: 'لم تُرسَل بعد: ستُعاد المحاولة عند عودة الاتصال',
  sendingFile: (fileName) => `جارٍ إرسال ${fileName}`,
  openFullSize: (fileName) => `فتح ${fileName} بالحجم الكامل`,
  isTyping: (who) => `${who} يكتب…`,
  operator: 'موظف الدعم',

  chattingWith: (operatorName) => `أنت تتحدّث مع ${operatorName}.`,
  inQueue: 'أنت في قائمة الانتظار.',
  queuePosition: (position) => `ترتيبك في قائمة الانتظار: ${position}.`,
  requeued: 'اضطرّ الموظف إلى المغادرة، لذا عدت إلى قائمة الانتظار.',
  estimatedWait: (wait) => `مدة الانتظار المتوقعة: ${wait}.`,
  lessThanAMinute: 'أقل من دقيقة',
  about: (amount) => `حوالي ${amount}`,
  leftMessage: (email) =>
    `شكرًا، أُرسلت رسالتك. سنردّ عليك ${email ? `على ${email} ` : ''}أو هنا مباشرةً إذا اتصل أحد الموظفين وأنت على هذه الصفحة.`,
  ended: 'انتهت هذه المحادثة.',

  rateThisChat: 'قيّم هذه المحادثة',
  howWasThisChat: 'كيف كانت هذه المحادثة؟',
  stars: (count) => (count === 1 ? 'نجمة واحدة' : count === 2 ? 'نجمتان' : `${count} نجوم`),
  comment: 'تعليق (اختياري)',
  sendRating: 'أرسل التقييم',
  thanks: 'شكرًا على رأيك!',
  newChat: 'ابدأ محادثة جديدة',

  problem: (code) => PROBLEMS[code] ?? OTHER,
  fileRefused: (code) => FILE_PROBLEMS[code] ?? 'تعذّر إرسال الملف.',
  somethingWentWrong: OTHER,
  tryAgain: 'حاول مجددًا',
};
