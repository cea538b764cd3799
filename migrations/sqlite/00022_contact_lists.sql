-- +goose Up
-- A copy of each contact's emails and phone numbers in its own row
-- (internal/contact/lists.go): an export of a million contacts reads them
-- with the row instead of seeking them in contact_emails and
-- contact_phones, which was most of its time. The child tables stay the
-- truth for matching, uniqueness and search; every write of them writes
-- this too. "" is a contact with neither.
ALTER TABLE contacts ADD COLUMN lists TEXT NOT NULL DEFAULT '';

UPDATE contacts SET lists = json_object(
    'e', json((SELECT json_group_array(json_array(address, label) ORDER BY position)
               FROM contact_emails WHERE contact_id = contacts.id)),
    'p', json((SELECT json_group_array(json_array(e164, original, label, international) ORDER BY position)
               FROM contact_phones WHERE contact_id = contacts.id)))
WHERE id IN (SELECT contact_id FROM contact_emails UNION SELECT contact_id FROM contact_phones);

-- +goose Down
ALTER TABLE contacts DROP COLUMN lists;
