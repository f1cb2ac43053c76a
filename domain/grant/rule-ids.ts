/**
 * Rule ids printed on every grant line, with the reference section they implement
 * (/work/shared/domain/erasmus-ka1.md). Duration-limit ids (DUR-…) live in domain/activity.ts.
 */
export const RULES = {
  'GRANT-TRAVEL-STD': '§1.2 travel support, standard band (return trip, one-way km)',
  'GRANT-TRAVEL-GREEN': '§1.2 travel support, green band',
  'GRANT-TRAVEL-EXCEPTIONAL': '§3 exceptional costs for expensive travel (80 % of real cost when the unit cost covers < 70 %)',
  'GRANT-GREEN-TOPUP': '§1.2 pre-2024 HE students without travel support: one-off green top-up',
  'GRANT-HE-LT': '§1.3, §1.7 HE long-term individual support: monthly rate × days ÷ 30 (BM 30-day months)',
  'GRANT-HE-LT-FEWER-OPP': '§1.3 fewer-opportunities top-up, long-term, per month (travel days included)',
  'GRANT-HE-LT-TRAINEESHIP': '§1.3 traineeship top-up per month (recent graduates included)',
  'GRANT-HE-ST-DAYS-1-14': '§1.3 HE short-term (blended, doctoral, BIP) individual support, days 1–14',
  'GRANT-HE-ST-DAYS-15+': '§1.3 HE short-term individual support, days 15–30',
  'GRANT-HE-ST-FEWER-OPP': '§1.3, §1.7 fewer-opportunities top-up, short-term, once per mobility',
  'GRANT-STAFF-DAYS-1-14': '§1.3, §1.4 staff individual support, days 1–14 at 100 %',
  'GRANT-STAFF-DAYS-15+': '§1.3, §1.4 staff individual support, days 15+ at 70 %',
  'GRANT-LEARNER-DAYS-1-14': '§1.4 VET/school/adult learner individual support, days 1–14 at 100 %',
  'GRANT-LEARNER-DAYS-15+': '§1.4 [U] VET/school/adult learner individual support, days 15+ at 70 %',
  'GRANT-INCLUSION-REAL-COSTS': '§1.3, §1.4 inclusion support for participants, real costs',
  'GRANT-ZERO-GRANT': '§1.6 zero-grant mobility (counted, not paid)',
  'GRANT-BELOW-MINIMUM': '§2 force majeure: early return below the minimum duration without force majeure → grant recovered',
  'GRANT-ACCOMP-DAYS-1-14': '§1.8 accompanying person of learners: staff daily rate, days 1–14 at 100 %',
  'GRANT-ACCOMP-DAYS-15+': '§1.8 accompanying person of learners: staff daily rate, days 15+ at 70 % (or the NA\'s published rate)',
  'GRANT-COURSE-FEES': '§1.4, §1.8 course fees of staff courses: per course day (travel days excluded), capped per course',
  'GRANT-NATIONAL-TOPUP': '§1.8 national top-up defined by the beneficiary (name, amount per month or per mobility, condition)',
  'GRANT-PREP-VISIT': '[U] KA121/KA122 preparatory visit: one unit cost per participant, travel and stay included',
  'GRANT-VIRTUAL-COMPONENT': '§1.6, §1.7 [U] hybrid mobility: the virtual component is not funded (0 €, shown for traceability)',
  'GRANT-INCOMING-NONE': '§1.5 [U] incoming mobility: no grant from the sending budget (the sender funds it)',
  'ORG-KA131': '§1.5 KA131 organisational support, up to the 100th participant',
  'ORG-KA131-ABOVE-100': '§1.5 KA131 organisational support, participants above the 100th',
  'ORG-KA131-BIP': '§1.5 KA131 BIP organisational support',
  'ORG-KA12X': '§1.5 [U] KA121/KA122 organisational support',
  'ORG-INCLUSION': '§1.5 inclusion support for organisations',
  'ORG-GROUP': '§1.8 organisational support of a group activity (pupils, adult learners): the group\'s own organisational-support amount',
} as const;
export type RuleId = keyof typeof RULES;
