-- An accompanying person (§1.8) is not counted for organisational support: the budget fold keeps the flag of the
-- application's plan. Rows folded before it read false until `npm run projections:rebuild` folds them again.
ALTER TABLE budget_mobilities ADD COLUMN accompanying_person boolean NOT NULL DEFAULT false;
