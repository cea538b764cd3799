-- +goose Up
-- Each number's international display form ("+44 20 7946 0958"), stored
-- when the number is: an export of a million contacts reads it instead of
-- formatting every number again, which cost more than the rest of the
-- row. Numbers stored before this migration hold '' and are formatted
-- when read.
ALTER TABLE contact_phones ADD COLUMN international TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE contact_phones DROP COLUMN international;
