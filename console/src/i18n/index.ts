import i18next from 'i18next';
import { en, type MessageKey } from './en';
import { fr } from './fr';

export type { MessageKey };
export const LANGUAGES = ['fr', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

const STORE = 'mobility-console.lang';

/** The user's choice if any, else the browser's first language we speak, else English. */
export function initialLanguage(): Lang {
  const saved = localStorage.getItem(STORE);
  if (saved === 'fr' || saved === 'en') return saved;
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().slice(0, 2);
    if (base === 'fr' || base === 'en') return base;
  }
  return 'en';
}

export async function initI18n(lang: Lang): Promise<void> {
  await i18next.init({
    lng: lang,
    fallbackLng: false,
    resources: { en: { translation: en }, fr: { translation: fr } },
    keySeparator: false,
    nsSeparator: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = lang;
}

export async function setLanguage(lang: Lang): Promise<void> {
  localStorage.setItem(STORE, lang);
  await i18next.changeLanguage(lang);
  document.documentElement.lang = lang;
}

export const currentLang = (): Lang => (i18next.language === 'fr' ? 'fr' : 'en');

/** A message of the catalogue. */
export const t = (key: MessageKey, values?: Record<string, unknown>): string => i18next.t(key, values ?? {}) as string;

/** A message with plural forms (`<key>_one`, `<key>_other` in the catalogues), chosen by the language's rules for `count`. */
type PluralKey = MessageKey extends infer K ? (K extends `${infer B}_one` ? B : never) : never;
export const tn = (key: PluralKey, count: number, values?: Record<string, unknown>): string => i18next.t(key, { ...values, count }) as string;

/** A message whose key is built from a value the server sent (a stage, an action, a code): the value itself when unknown. */
export const tv = (prefix: string, value: string | null | undefined): string => {
  if (value === null || value === undefined || value === '') return t('common.dash');
  const key = `${prefix}.${value}`;
  return i18next.exists(key) ? (i18next.t(key) as string) : value;
};
export const has = (key: string): boolean => i18next.exists(key);

// ---------- formats for the locale ----------
const locale = () => (currentLang() === 'fr' ? 'fr-FR' : 'en-GB');

/** Euro cents → "1 234,56 €" / "€1,234.56". */
export const euros = (cents: number | string | null | undefined): string =>
  cents === null || cents === undefined ? t('common.dash') : new Intl.NumberFormat(locale(), { style: 'currency', currency: 'EUR' }).format(Number(cents) / 100);

/** Whole euros for chart axes. */
export const eurosShort = (cents: number): string =>
  new Intl.NumberFormat(locale(), { style: 'currency', currency: 'EUR', maximumFractionDigits: 0, notation: Math.abs(cents) >= 100_000_00 ? 'compact' : 'standard' }).format(cents / 100);

/** ISO date (YYYY-MM-DD) → "3 mars 2026" / "3 Mar 2026". */
export const date = (iso: string | null | undefined): string => {
  if (!iso) return t('common.dash');
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
};
export const dateTime = (iso: string | null | undefined): string => {
  if (!iso) return t('common.dash');
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
};
export const num = (n: number | string | null | undefined, digits = 0): string =>
  n === null || n === undefined ? t('common.dash') : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(Number(n));
export const percent = (ratio: number | string | null | undefined): string =>
  ratio === null || ratio === undefined ? t('common.dash') : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(Number(ratio));
