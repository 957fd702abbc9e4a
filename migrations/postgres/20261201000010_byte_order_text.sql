-- Refs, slugs, titles, owners, boroughs and webhook names compare and sort by their bytes, and
-- LOWER() folds only ASCII letters, as in SQLite, whatever collation the database was created
-- with. A database made with an ICU or glibc locale would otherwise list "ACT_1" and "ACT1" in
-- another order than SQLite does, and match "owner: Éaling" differently.
ALTER TABLE boards ALTER COLUMN slug TYPE TEXT COLLATE "C";
ALTER TABLE recommendations ALTER COLUMN ref_key TYPE TEXT COLLATE "C";
ALTER TABLE recommendations ALTER COLUMN owner TYPE TEXT COLLATE "C";
ALTER TABLE recommendations ALTER COLUMN title TYPE TEXT COLLATE "C";
ALTER TABLE actions ALTER COLUMN ref_key TYPE TEXT COLLATE "C";
ALTER TABLE actions ALTER COLUMN owner TYPE TEXT COLLATE "C";
ALTER TABLE actions ALTER COLUMN borough TYPE TEXT COLLATE "C";
ALTER TABLE actions ALTER COLUMN title TYPE TEXT COLLATE "C";
ALTER TABLE webhooks ALTER COLUMN name TYPE TEXT COLLATE "C";
