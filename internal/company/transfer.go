package company

import (
	"context"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/record"
)

// TransferOwner gives every company user from owns to user to, inside tx,
// and returns how many live companies moved: the companies' part of
// handing a leaving user's records over (user.Service.OnTransfer).
func (s *Service) TransferOwner(ctx context.Context, tx *db.Tx, from, to string) (int, error) {
	return record.TransferOwner(ctx, tx, record.Company, from, to)
}
