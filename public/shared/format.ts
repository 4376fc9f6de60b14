/** Times and durations as a person reads them, in the browser's own locale and time zone. */

/** `locale`: a BCP 47 tag when the page speaks a language of its own (the widget's); the browser's otherwise. */
export function clockTime(iso: string, locale?: string): string {
  return new Date(iso).toLocaleTimeString(locale ?? [], { hour: '2-digit', minute: '2-digit' });
}

export function fullTime(iso: string, locale?: string): string {
  return new Date(iso).toLocaleString(locale);
}

export function duration(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? 'about 1 hour' : `about ${hours} hours`;
}

export function shortDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
