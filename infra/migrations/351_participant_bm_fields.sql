-- The participant registry gains the other per-participant fields of the Beneficiary Module's mobility
-- records (../shared/domain/erasmus-ka1.md §3, "Participant" and "Organisations"), all optional:
--   student_number      the participant ID of the BM: the sending institution's own reference for the
--                       person (student or apprentice number), unique within the institution;
--   field_of_education  ISCED-F 2013 detailed field (4 digits, e.g. 0613 software development): the
--                       participant's programme at the sending institution, which the BM asks per mobility;
--   eqf_level           EQF level of that programme (1–8; 6 bachelor, 7 master, 8 doctorate, 3–5 VET).
-- Name, e-mail, date of birth, gender, nationality and the fewer-opportunities criterion code were already
-- here (340). The BM's other fields belong to the mobility (dates, host OID, country, city, languages,
-- travel, money) or are derived by the engine (age, top-ups). Nothing else is asked: the BM imports no
-- sensitive data. Like every personal field, these three are read only by the participant's institution
-- through the API, appear in the GDPR export, and are removed by erasure.
ALTER TABLE participants
  ADD COLUMN student_number     text CHECK (student_number ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$'),
  ADD COLUMN field_of_education text CHECK (field_of_education ~ '^[0-9]{4}$'),
  ADD COLUMN eqf_level          smallint CHECK (eqf_level BETWEEN 1 AND 8),
  ADD CONSTRAINT participants_bm_fields_erased CHECK (erased_at IS NULL OR (student_number IS NULL AND field_of_education IS NULL AND eqf_level IS NULL));
CREATE UNIQUE INDEX participants_student_number ON participants (institution_id, student_number) WHERE student_number IS NOT NULL;
