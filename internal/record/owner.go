package record

import (
	"context"
	"errors"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

// Users is what records need to know about users: who may own records.
type Users interface {
	ByID(ctx context.Context, userID string) (user.User, error)
	List(ctx context.Context) ([]user.User, error)
}

// OwnerField is the list field "owner": a select whose options are the
// user ids, compared exactly so the owner_id index serves it.
func OwnerField(ctx context.Context, users Users, column string) (query.Field, error) {
	list, err := users.List(ctx)
	if err != nil {
		return query.Field{}, err
	}
	f := query.Field{Key: "owner", Label: "Owner", Type: query.Select, Column: column}
	for _, u := range list {
		f.Options = append(f.Options, u.ID)
	}
	return f, nil
}

// CheckOwner reports on v when ownerID does not name an active user and
// returns the owner's name otherwise. An empty ownerID means no owner.
func CheckOwner(ctx context.Context, users Users, v *apperr.Validation, ownerID string) (string, error) {
	if ownerID == "" {
		return "", nil
	}
	if !id.Valid(ownerID) {
		v.Add("owner_id", "Choose an owner from the list of users.")
		return "", nil
	}
	u, err := users.ByID(ctx, ownerID)
	if errors.Is(err, apperr.ErrNotFound) {
		v.Add("owner_id", "There is no user with this id.")
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !u.DisabledAt.IsZero() {
		v.Add("owner_id", u.Name+" is deactivated; choose an active user.")
	}
	return u.Name, nil
}
