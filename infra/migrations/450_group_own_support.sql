-- A group of pupils or adult learners carries its own organisational-support amount (§1.8: the Beneficiary
-- Module takes it from the group activity's field); null: the unit cost × the participants counted applies.
ALTER TABLE group_activities ADD COLUMN organisational_support_cents bigint CHECK (organisational_support_cents IS NULL OR organisational_support_cents > 0);
