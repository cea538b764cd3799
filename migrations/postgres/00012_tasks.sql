-- +goose Up
-- Tasks (internal/task). A due date is a calendar date in the task's time
-- zone, with an optional local time; due_at is the UTC instant it falls due
-- (the end of the day when no time is set), which the lists sort by.
-- "Due today" is decided in the assignee's zone (users.time_zone).
-- A recurring task repeats from recur_anchor (the first due date, so a
-- monthly task on the 31st returns to the 31st after a short month);
-- previous_id is unique so completing an occurrence twice (complete,
-- reopen, complete) makes its next occurrence only once.
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

CREATE TABLE tasks (
    id             uuid PRIMARY KEY,
    title          text NOT NULL,
    notes          text NOT NULL DEFAULT '',
    due_date       date,
    due_time       text,
    time_zone      text NOT NULL DEFAULT 'UTC',
    due_at         timestamptz,
    priority       text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    assignee_id    uuid REFERENCES users (id),
    contact_id     uuid REFERENCES contacts (id) ON DELETE SET NULL,
    company_id     uuid REFERENCES companies (id) ON DELETE SET NULL,
    deal_id        uuid REFERENCES deals (id) ON DELETE SET NULL,
    recurrence     text NOT NULL DEFAULT '',
    recur_interval integer NOT NULL DEFAULT 1,
    recur_until    date,
    recur_anchor   date,
    previous_id    uuid UNIQUE REFERENCES tasks (id),
    remind_at      timestamptz,
    done_at        timestamptz,
    done_by        uuid,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    created_by     uuid,
    updated_by     uuid,
    deleted_at     timestamptz
);
CREATE INDEX tasks_mine ON tasks (assignee_id, due_at, id) WHERE deleted_at IS NULL AND done_at IS NULL;
CREATE INDEX tasks_done ON tasks (assignee_id, done_at) WHERE deleted_at IS NULL AND done_at IS NOT NULL;
CREATE INDEX tasks_contact ON tasks (contact_id, due_at) WHERE contact_id IS NOT NULL;
CREATE INDEX tasks_company ON tasks (company_id, due_at) WHERE company_id IS NOT NULL;
CREATE INDEX tasks_deal ON tasks (deal_id, due_at) WHERE deal_id IS NOT NULL;

-- In-app notifications. effect_key is unique: the job that notifies
-- writes its key (task and reminder time) so a retried or rescued job
-- never notifies twice.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    kind       text NOT NULL,
    title      text NOT NULL,
    body       text NOT NULL DEFAULT '',
    link       text NOT NULL DEFAULT '',
    effect_key text NOT NULL UNIQUE,
    read_at    timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- One row per user and local day the task digest went out: the key that
-- makes the digest exactly once across restarts and processes.
CREATE TABLE task_digests (
    user_id    uuid NOT NULL REFERENCES users (id),
    day        date NOT NULL,
    tasks      integer NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- +goose Down
DROP TABLE task_digests;
DROP TABLE notifications;
DROP TABLE tasks;
ALTER TABLE users DROP COLUMN time_zone;
