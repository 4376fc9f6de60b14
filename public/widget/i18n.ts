import { ar } from './locales/ar';
import { en } from './locales/en';
import { fr } from './locales/fr';
import type { Words } from './words';

/** The widget's languages, by their primary language subtag; English is what every other falls back to. */
const CATALOGUE: Readonly<Record<string, Words>> = { en, fr, ar };
const FALLBACK = 'en';

/**
 * The language the widget speaks, its words, and how it writes times, numbers and waits (Intl, in the visitor's
 * own variant of that language when they have one: fr-CA's times for a Canadian on a `data-locale="fr"` site).
 */
export class Locale {
  constructor(
    /** The catalogue's language: the widget's `lang`. */
    readonly lang: string,
    /** The BCP 47 tag Intl formats with. */
    readonly intl: string,
    readonly words: Words,
  ) {}

  /** A weekday and time within the coming week, else a date and time. */
  opening(date: Date, weekday: boolean): string {
    return date.toLocaleString(this.intl, weekday ? { weekday: 'long', hour: '2-digit', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' });
  }

  number(value: number): string {
    return new Intl.NumberFormat(this.intl).format(value);
  }

  /** An estimated wait, rounded as a person would say it ("about 5 minutes"). */
  wait(seconds: number): string {
    if (seconds < 60) return this.words.lessThanAMinute;
    const minutes = Math.round(seconds / 60);
    const [amount, unit]: [number, 'minute' | 'hour'] = minutes < 60 ? [minutes, 'minute'] : [Math.round(minutes / 60), 'hour'];
    // Intl knows each language's plural forms (Arabic has six), which a template could not.
    return this.words.about(new Intl.NumberFormat(this.intl, { style: 'unit', unit, unitDisplay: 'long' }).format(amount));
  }
}

/**
 * The widget's locale: the site's `data-locale` when the catalogue has that language, else the first of the
 * browser's languages it has, else English.
 */
export function chooseLocale(requested: string | undefined, preferred: readonly string[]): Locale {
  for (const tag of [requested, ...preferred]) {
    const lang = tag ? primary(tag) : '';
    const words = CATALOGUE[lang];
    if (!tag || !words) continue;
    // A bare language takes the visitor's own region of it, if they have one, for Intl.
    const regional = tag.includes('-') ? tag : (preferred.find((p) => primary(p) === lang) ?? tag);
    return new Locale(lang, canonical(regional) ?? lang, words);
  }
  return new Locale(FALLBACK, canonical(preferred.find((p) => primary(p) === FALLBACK) ?? FALLBACK) ?? FALLBACK, CATALOGUE[FALLBACK]);
}

function primary(tag: string): string {
  return tag.trim().toLowerCase().split(/[-_]/)[0];
}

/** The tag as Intl writes it, or null when it is not a well-formed BCP 47 tag (a site's typo). */
function canonical(tag: string): string | null {
  try {
    return Intl.getCanonicalLocales(tag.trim().replace(/_/g, '-'))[0] ?? null;
  } catch {
    return null;
  }
}
