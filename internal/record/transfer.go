package record

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
)

// TransferOwner makes user to the owner of every record of kind that user
// from owns, inside tx, with two statements whatever the number of records
// (the owner index finds them; the owner is not in the search index, so
// nothing is reindexed). Live records are counted, stamped updated and
// summed up in one "<kind>.owner_transferred" event on the leaving user;
// deleted ones follow silently, so that none is left with a departed owner.
// Handing records over is administering users: it needs that right.
func TransferOwner(ctx context.Context, tx *db.Tx, kind Kind, from, to string) (int, error) {
	actor, err := access.Check(ctx, access.Users, access.Update)
	if err != nil {
		return 0, err
	}
	table := map[Kind]string{Contact: "contacts", Company: "companies"}[kind]
	if table == "" {
		return 0, fmt.Errorf("record: no owners for %q", kind)
	}
	res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET owner_id = $2, updated_at = $3, updated_by = $4
		WHERE owner_id = $1 AND deleted_at IS NULL`, from, to, db.T(db.Now()), db.NullString(actor.UserID))
	if err != nil {
		return 0, fmt.Errorf("record: transfer %s: %w", table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET owner_id = $2 WHERE owner_id = $1`, from, to); err != nil {
		return 0, fmt.Errorf("record: transfer deleted %s: %w", table, err)
	}
	if n > 0 {
		if _, err := event.Record(ctx, tx, event.Event{Kind: string(kind) + ".owner_transferred", ActorID: actor.UserID,
			SubjectType: "user", SubjectID: from, Data: map[string]any{"from": from, "to": to, "count": n}}); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}
