package user

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

// TransferFunc gives every record of one kind that user from owns to user
// to, inside tx, and returns how many it moved. Each domain that has
// owners registers one with OnTransfer.
type TransferFunc func(ctx context.Context, tx *db.Tx, from, to string) (moved int, err error)

type transferHook struct {
	object string
	fn     TransferFunc
}

// OnTransfer adds the records of object ("contacts", "companies", ...) to
// what TransferRecords moves. Register hooks at start-up, before use.
func (s *Service) OnTransfer(object string, fn TransferFunc) {
	s.life.transfers = append(s.life.transfers, transferHook{object: object, fn: fn})
}

// Moved is how many records of one object a transfer moved.
type Moved struct {
	Object string
	Count  int
}

// Transfer is the result of TransferRecords.
type Transfer struct {
	From, To User
	// Moved has one entry per registered object, in registration order.
	Moved []Moved
}

// Total is the number of records moved.
func (t Transfer) Total() int {
	n := 0
	for _, m := range t.Moved {
		n += m.Count
	}
	return n
}

// TransferRecords makes the active user toUserID the owner of every record
// fromUserID owns, all kinds at once in one transaction, and records one
// event per kind of record plus one for the whole transfer.
func (s *Service) TransferRecords(ctx context.Context, fromUserID, toUserID string) (Transfer, error) {
	actor, err := s.check(ctx, access.Update, "user.transfer_records", "user", fromUserID)
	if err != nil {
		return Transfer{}, err
	}
	from, err := s.ByID(ctx, fromUserID)
	if err != nil {
		return Transfer{}, err
	}
	t := Transfer{From: from, Moved: []Moved{}}
	var v apperr.Validation
	switch {
	case toUserID == "":
		v.Add("to", "Choose who gets the records.")
	case toUserID == fromUserID:
		v.Add("to", "Choose someone else: the records are "+from.Name+"’s already.")
	case !id.Valid(toUserID):
		v.Add("to", "Choose a user from the list.")
	}
	if err := v.Err(); err != nil {
		return t, err
	}
	if t.To, err = s.ByID(ctx, toUserID); err != nil {
		if apperrIsNotFound(err) {
			v.Add("to", "Choose a user from the list.")
			return t, v.Err()
		}
		return t, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		var disabled db.Time
		if err := tx.QueryRowContext(ctx, `SELECT disabled_at FROM users WHERE id = $1`, t.To.ID).Scan(&disabled); err != nil {
			return err
		}
		if !disabled.IsZero() {
			v.Add("to", t.To.Name+" is deactivated; choose an active user.")
			return v.Err()
		}
		t.Moved = t.Moved[:0]
		counts := map[string]int{}
		for _, h := range s.life.transfers {
			n, err := h.fn(ctx, tx, from.ID, t.To.ID)
			if err != nil {
				return fmt.Errorf("user: transfer %s: %w", h.object, err)
			}
			t.Moved = append(t.Moved, Moved{Object: h.object, Count: n})
			counts[h.object] = n
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "user.records_transferred", ActorID: actor.UserID,
			SubjectType: "user", SubjectID: from.ID,
			Data: map[string]any{"from": from.ID, "to": t.To.ID, "to_name": t.To.Name, "moved": counts}})
		return err
	})
	if err != nil {
		return t, err
	}
	return t, nil
}
