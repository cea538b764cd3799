package task

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/notify"
)

// ReminderArgs is the job that reminds of a task at RemindAt. It is
// enqueued with the change that set the reminder, scheduled for that time.
// A task changed since (another reminder time, done, deleted) makes the
// job a no-op: moving a reminder enqueues a new job, and the old one finds
// its time no longer the task's.
type ReminderArgs struct {
	TaskID   string `json:"task_id"`
	RemindAt string `json:"remind_at"`
}

// Kind implements river.JobArgs.
func (ReminderArgs) Kind() string { return "task.reminder" }

// schedule enqueues the reminder of t inside tx, when t has one and is
// open. A reminder already past fires at once.
func (s *Service) schedule(ctx context.Context, tx *db.Tx, t Task) error {
	if s.queue == nil || t.RemindAt.IsZero() || t.Done() {
		return nil
	}
	return s.queue.Enqueue(ctx, tx, ReminderArgs{TaskID: t.ID, RemindAt: timeText(t.RemindAt)},
		&river.InsertOpts{ScheduledAt: t.RemindAt})
}

// ReminderWorker fires reminders.
type ReminderWorker struct {
	river.WorkerDefaults[ReminderArgs]
	s *Service
}

// NewReminderWorker returns the worker to register with the job queue.
func NewReminderWorker(s *Service) *ReminderWorker { return &ReminderWorker{s: s} }

// Work writes the notification (and queues the email) and completes the
// job in one transaction, so a crash leaves both or neither; the unique
// effect key stops a second notification should the job run again anyway.
func (w *ReminderWorker) Work(ctx context.Context, job *river.Job[ReminderArgs]) error {
	return w.s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := w.s.remind(ctx, tx, job.Args); err != nil {
			return err
		}
		return jobs.CompleteTx(ctx, tx, job.JobRow)
	})
}

// remind notifies of the task in args if it is still open with that
// reminder time, and reports whether it did.
func (s *Service) remind(ctx context.Context, tx *db.Tx, args ReminderArgs) (bool, error) {
	t, err := byID(ctx, tx, args.TaskID)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if t.Done() || timeText(t.RemindAt) != args.RemindAt {
		return false, nil
	}
	userID := t.AssigneeID
	if userID == "" {
		userID = t.CreatedBy
	}
	if userID == "" {
		return false, nil
	}
	body := dueText(t)
	added, err := notify.Add(ctx, tx, notify.Notification{UserID: userID, Kind: "task.reminder",
		Title: t.Title, Body: body, Link: "/tasks/" + t.ID}, "task.reminder:"+t.ID+":"+args.RemindAt)
	if err != nil || !added {
		return added, err
	}
	if s.outbox == nil || !s.outbox.Delivering() {
		return true, nil
	}
	email, name, err := userAddress(ctx, tx, userID)
	if err != nil || email == "" {
		return true, err
	}
	text := "Reminder: " + t.Title + "\n"
	if body != "" {
		text += body + "\n"
	}
	if t.Notes != "" {
		text += "\n" + t.Notes + "\n"
	}
	text += "\nOpen the task: " + strings.TrimRight(s.baseURL, "/") + "/tasks/" + t.ID + "\n"
	_, err = s.outbox.Queue(ctx, tx, mail.Message{To: email, ToName: name, Kind: "task.reminder",
		Subject: "Reminder: " + oneLine(t.Title), Text: text})
	return true, err
}

// dueText says when t is due: "Due 2026-03-31 at 09:30 (Europe/Berlin)".
func dueText(t Task) string {
	if t.DueDate == "" {
		return ""
	}
	s := "Due " + t.DueDate
	if t.DueTime != "" {
		s += " at " + t.DueTime
	}
	if t.TimeZone != "" && t.TimeZone != "UTC" {
		s += " (" + t.TimeZone + ")"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func userAddress(ctx context.Context, q db.Querier, userID string) (email, name string, err error) {
	err = q.QueryRowContext(ctx, `SELECT email, name FROM users WHERE id = $1 AND disabled_at IS NULL`, userID).
		Scan(&email, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("task: address of %s: %w", userID, err)
	}
	return email, name, nil
}

// DigestHour is the local hour from which a user's daily digest goes out.
const DigestHour = 7

// DigestEvery is how often the leader looks for digests to send.
const DigestEvery = 15 * time.Minute

// DigestArgs is the periodic job that sends the daily task digests due.
type DigestArgs struct{}

// Kind implements river.JobArgs.
func (DigestArgs) Kind() string { return "task.digest" }

// DigestJob is the periodic job that sends digests; only the elected
// leader among the processes inserts it.
func DigestJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(DigestEvery),
		func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// DigestWorker sends daily digests.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	s *Service
}

// NewDigestWorker returns the worker to register with the job queue.
func NewDigestWorker(s *Service) *DigestWorker { return &DigestWorker{s: s} }

// Work sends the digests due now.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	_, err := w.s.SendDigests(ctx, w.s.now())
	return err
}

type digestUser struct{ id, email, name, zone string }

// SendDigests emails each active user who has open tasks due today or
// overdue, once per day of their time zone, from DigestHour local time. The
// (user, day) row is written in the transaction that queues the email, so
// two processes or a rerun after a crash send it once. Without a mail
// server nothing is sent (and nothing recorded, so setting one up later
// the same day still sends it). It returns how many digests it queued.
func (s *Service) SendDigests(ctx context.Context, now time.Time) (int, error) {
	if s.outbox == nil || !s.outbox.Delivering() {
		return 0, nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, email, name, time_zone FROM users WHERE disabled_at IS NULL ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("task: digest users: %w", err)
	}
	var users []digestUser
	for rows.Next() {
		var u digestUser
		if err := rows.Scan(&u.id, &u.email, &u.name, &u.zone); err != nil {
			rows.Close()
			return 0, err
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sent := 0
	for _, u := range users {
		ok, err := s.digest(ctx, u, now)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

func (s *Service) digest(ctx context.Context, u digestUser, now time.Time) (bool, error) {
	loc, err := time.LoadLocation(u.zone)
	if err != nil {
		loc = time.UTC
	}
	local := now.In(loc)
	if local.Hour() < DigestHour {
		return false, nil
	}
	day := local.Format(db.DateLayout)
	var done int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM task_digests WHERE user_id = $1 AND day = $2`,
		u.id, db.Date(day)).Scan(&done); err != nil {
		return false, fmt.Errorf("task: digest: %w", err)
	}
	if done > 0 {
		return false, nil
	}
	list, err := s.dueBy(ctx, s.db.R, u.id, day, 100)
	if err != nil || len(list) == 0 {
		return false, err
	}
	sent := false
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO task_digests (user_id, day, tasks, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, day) DO NOTHING`, u.id, db.Date(day), len(list), db.T(db.Now()))
		if err != nil {
			return fmt.Errorf("task: digest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		sent = true
		_, err = s.outbox.Queue(ctx, tx, mail.Message{To: u.email, ToName: u.name, Kind: "task.digest",
			Subject: fmt.Sprintf("Your tasks for %s: %d to do", day, len(list)), Text: s.digestText(list, day)})
		return err
	})
	return sent, err
}

// dueBy lists userID's open tasks due on or before day, oldest first.
func (s *Service) dueBy(ctx context.Context, q db.Querier, userID, day string, limit int) ([]Task, error) {
	rows, err := q.QueryContext(ctx, selectTask+` WHERE t.assignee_id = $1 AND t.deleted_at IS NULL AND t.done_at IS NULL
		AND t.due_date <= $2 ORDER BY t.due_at, t.id LIMIT $3`, userID, db.Date(day), limit)
	if err != nil {
		return nil, fmt.Errorf("task: due: %w", err)
	}
	return scanTasks(rows)
}

func (s *Service) digestText(list []Task, day string) string {
	var overdue, today strings.Builder
	for _, t := range list {
		line := "- " + oneLine(t.Title)
		if t.DueTime != "" {
			line += " at " + t.DueTime
		}
		if t.DueDate < day {
			overdue.WriteString(line + " (due " + t.DueDate + ")\n")
		} else {
			today.WriteString(line + "\n")
		}
	}
	var b strings.Builder
	if overdue.Len() > 0 {
		b.WriteString("Overdue:\n" + overdue.String() + "\n")
	}
	if today.Len() > 0 {
		b.WriteString("Today:\n" + today.String() + "\n")
	}
	b.WriteString("Your tasks: " + strings.TrimRight(s.baseURL, "/") + "/tasks\n")
	return b.String()
}
