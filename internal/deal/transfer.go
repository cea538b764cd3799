package deal

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
)

// TransferOwner gives every deal user from owns to user to, inside tx, and
// returns how many live deals moved: the deals' part of handing a leaving
// user's records over (user.Service.OnTransfer). Versions grow, so an edit
// made from before the hand-over is told about it.
func (s *Service) TransferOwner(ctx context.Context, tx *db.Tx, from, to string) (int, error) {
	actor, err := access.Check(ctx, access.Users, access.Update)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE deals SET owner_id = $2, updated_at = $3, updated_by = $4, version = version + 1
		WHERE owner_id = $1 AND deleted_at IS NULL`, from, to, db.T(s.now()), db.NullString(actor.UserID))
	if err != nil {
		return 0, fmt.Errorf("deal: transfer: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deals SET owner_id = $2 WHERE owner_id = $1`, from, to); err != nil {
		return 0, fmt.Errorf("deal: transfer deleted: %w", err)
	}
	if n > 0 {
		if _, err := event.Record(ctx, tx, event.Event{Kind: "deal.owner_transferred", ActorID: actor.UserID,
			SubjectType: "user", SubjectID: from, Data: map[string]any{"from": from, "to": to, "count": n}}); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}
