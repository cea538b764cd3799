package contact

import (
	"context"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/record"
)

// TransferOwner gives every contact user from owns to user to, inside tx,
// and returns how many live contacts moved: the contacts' part of handing
// a leaving user's records over (user.Service.OnTransfer).
func (s *Service) TransferOwner(ctx context.Context, tx *db.Tx, from, to string) (int, error) {
	return record.TransferOwner(ctx, tx, record.Contact, from, to)
}
