/**
 * Events carry pseudonymous ids only. scanForPii walks an event (envelope and payload, any depth)
 * and reports what looks like personal data: person-name keys or "Firstname Lastname" values,
 * e-mail addresses, phone numbers, and special-category keys or values (health, disability,
 * religion, ethnicity, sexual orientation, politics, union membership, biometrics, criminal
 * records, free-text force-majeure explanations). An empty result means nothing was found.
 */
export interface PiiFinding {
  /** JSON path of the offending key or value, e.g. payload.plan.email */
  path: string;
  kind: 'name' | 'email' | 'phone' | 'special-category' | 'address' | 'birth-date' | 'national-id';
  /** Why: the key or a redacted excerpt of the value. */
  reason: string;
}

const NAME_KEYS = /^(?:(?:first|last|given|family|middle|full|display|birth|maiden|sur|nick|user)[-_]?name|name|surname|forename|firstnames?|lastnames?|participantName|studentName|contactName|signatoryName)$/i;
const EMAIL_KEYS = /e[-_]?mail/i;
const PHONE_KEYS = /phone|mobile[-_]?number|msisdn|\btel\b|telephone|fax/i;
const ADDRESS_KEYS = /^(?:street|address|addressLine\d?|postal[-_]?address|home[-_]?address|postcode|zip(?:code)?)$/i;
const BIRTH_KEYS = /birth|dob$|^age$/i;
const NATIONAL_ID_KEYS = /passport|national[-_]?id|ssn|social[-_]?security|insee|nir$|idCard|tax[-_]?id|iban/i;
const SPECIAL_KEYS = /health|medical|diagnos|disab|handicap|illness|sickness|pregnan|religio|faith|ethnic|racial|^race$|sexual|orientation|gender[-_]?identity|politic|trade[-_]?union|union[-_]?member|biometric|genetic|criminal|conviction|offen[cs]e|explanation|justification|criterion[-_]?details|socialCriteria/i;
const SPECIAL_VALUES = /\b(?:disabilit(?:y|ies)|disabled|handicap(?:ped)?|chronic(?:ally)? ill|illness|cancer|diabet(?:es|ic)|hiv|aids|depress(?:ion|ed)|pregnan(?:t|cy)|autis(?:m|tic)|dyslexi[ac]|muslim|jewish|christian|catholic|buddhist|hindu|atheist|gay|lesbian|bisexual|transgender|asylum|refugee|criminal record|conviction|trade union)\b/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
// International (+33 6 12 34 56 78) or national (06 12 34 56 78, 0612345678) numbers with 9–15
// digits; ISO dates, ids like 2024-1-FR01-KA131-HED-000123 and cents amounts are not phones.
const PHONE = /(?:^|[^\w-])(?:\+\d{1,3}[ .-]?(?:\(0\))?[ .-]?\d(?:[ .-]?\d){7,13}|0\d(?:[ .]?\d{2}){4})(?![\w-])/;
// Two or more capitalised words, as in "Jane Doe" or "Marie-Claire Dupont".
const PERSON_NAME = /^\p{Lu}\p{Ll}+(?:[-']\p{Lu}\p{Ll}+)?(?:\s+(?:(?:de|van|von|der|da|di|le|la)\s+)?\p{Lu}[\p{Ll}\p{Lu}'-]+){1,3}$/u;
/** Keys whose values are place names, labels or descriptions written by the engine, not people. */
const LABEL_KEYS = /city|country|place|region|town|label|title|funder|item|basis|description|summary|meaning|programme|institutionName|hostName|organisation/i;

const redact = (s: string) => (s.length <= 4 ? '****' : `${s.slice(0, 2)}…${s.slice(-1)} (${s.length} chars)`);

export function scanForPii(event: unknown, root = ''): PiiFinding[] {
  const out: PiiFinding[] = [];
  const walk = (v: unknown, path: string, key: string) => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`, key));
      return;
    }
    if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const p = path ? `${path}.${k}` : k;
        if (NAME_KEYS.test(k)) out.push({ path: p, kind: 'name', reason: `key "${k}" holds a person's name` });
        else if (EMAIL_KEYS.test(k)) out.push({ path: p, kind: 'email', reason: `key "${k}" holds an e-mail address` });
        else if (PHONE_KEYS.test(k)) out.push({ path: p, kind: 'phone', reason: `key "${k}" holds a phone number` });
        else if (ADDRESS_KEYS.test(k)) out.push({ path: p, kind: 'address', reason: `key "${k}" holds a postal address` });
        else if (BIRTH_KEYS.test(k)) out.push({ path: p, kind: 'birth-date', reason: `key "${k}" holds a birth date or age` });
        else if (NATIONAL_ID_KEYS.test(k)) out.push({ path: p, kind: 'national-id', reason: `key "${k}" holds a national identifier` });
        else if (SPECIAL_KEYS.test(k)) out.push({ path: p, kind: 'special-category', reason: `key "${k}" is special-category data (GDPR art. 9/10)` });
        walk(x, p, k);
      }
      return;
    }
    if (typeof v !== 'string') return;
    if (EMAIL.test(v)) out.push({ path, kind: 'email', reason: `value ${redact(v)} contains an e-mail address` });
    else if (PHONE.test(v)) out.push({ path, kind: 'phone', reason: `value ${redact(v)} contains a phone number` });
    if (SPECIAL_VALUES.test(v)) out.push({ path, kind: 'special-category', reason: `value ${redact(v)} names special-category data` });
    if (!LABEL_KEYS.test(key) && PERSON_NAME.test(v.trim())) out.push({ path, kind: 'name', reason: `value ${redact(v)} looks like a person's name` });
  };
  walk(event, root, '');
  return out;
}
