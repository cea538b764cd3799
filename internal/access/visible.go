package access

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

// ErrOutOfScope marks a record that exists but lies outside the actor's
// visibility. It matches apperr.ErrNotFound, so every door answers 404 and
// does not give the record's existence away; the web and API doors record
// the attempt in the audit log.
var ErrOutOfScope error = outOfScope{}

type outOfScope struct{}

func (outOfScope) Error() string        { return "record outside the actor's visibility" }
func (outOfScope) Is(target error) bool { return target == apperr.ErrNotFound }

// scope is a's effective scope.
func (a Actor) scope() Scope {
	if a.System || a.Scope == "" {
		return ScopeAll
	}
	return a.Scope
}

// SeesAll reports whether a sees every record, so no visibility condition
// is needed.
func (a Actor) SeesAll() bool { return a.scope() == ScopeAll }

// teammates is the SQL set of users who share a team with the user bound
// at placeholder p.
func teammates(p string) string {
	return `SELECT tm.user_id FROM team_members me JOIN team_members tm ON tm.team_id = me.team_id WHERE me.user_id = ` + p
}

// VisibleSQL returns a SQL condition keeping the rows whose owner column
// ownerCol a may see, with its argument numbered after the n the caller
// has already bound; "" and no arguments when a sees everything. Records
// nobody owns are visible to every scope.
//
//	cond, args := actor.VisibleSQL("c.owner_id", len(callerArgs))
func (a Actor) VisibleSQL(ownerCol string, n int) (string, []any) {
	p := "$" + strconv.Itoa(n+1)
	switch a.scope() {
	case ScopeOwn:
		return "(" + ownerCol + " IS NULL OR " + ownerCol + " = " + p + ")", []any{a.UserID}
	case ScopeTeam:
		return "(" + ownerCol + " IS NULL OR " + ownerCol + " = " + p + " OR " + ownerCol + " IN (" + teammates(p) + "))",
			[]any{a.UserID}
	}
	return "", nil
}

// Sees reports whether a may see a record owned by ownerID ("" for none).
func Sees(ctx context.Context, q db.Querier, a Actor, ownerID string) (bool, error) {
	switch {
	case ownerID == "" || a.SeesAll() || ownerID == a.UserID:
		return true, nil
	case a.scope() == ScopeOwn:
		return false, nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM team_members me JOIN team_members tm ON tm.team_id = me.team_id
		WHERE me.user_id = $1 AND tm.user_id = $2`, a.UserID, ownerID).Scan(&one)
	if err != nil {
		return false, fmt.Errorf("access: team check: %w", err)
	}
	return one > 0, nil
}

// CheckOwner returns ErrOutOfScope (a not-found error) unless the actor in
// ctx may see a record owned by ownerID; what names the record in the
// error, e.g. "contact 0190...".
func CheckOwner(ctx context.Context, q db.Querier, ownerID, what string) error {
	a, ok := ActorFrom(ctx)
	if !ok {
		return fmt.Errorf("access: no actor for %s: %w", what, apperr.ErrForbidden)
	}
	ok, err := Sees(ctx, q, a, ownerID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: %w", what, ErrOutOfScope)
	}
	return nil
}

// VisibleRefSQL is VisibleSQL for rows that point at a record of table
// (which has id and owner_id columns) through refExpr: it keeps the rows
// whose record a may see, and those that point at none.
//
//	cond, args := actor.VisibleRefSQL("contacts", "e.contact_id", len(callerArgs))
func (a Actor) VisibleRefSQL(table, refExpr string, n int) (string, []any) {
	cond, args := a.VisibleSQL("v.owner_id", n)
	if cond == "" {
		return "", nil
	}
	return "(" + refExpr + " IS NULL OR EXISTS (SELECT 1 FROM " + table + " v WHERE v.id = " + refExpr + " AND " + cond + "))", args
}

// Visible returns the condition and arguments of VisibleSQL for the actor
// in ctx (none for a context without an actor: Check refuses those).
func Visible(ctx context.Context, ownerCol string, n int) (string, []any) {
	a, ok := ActorFrom(ctx)
	if !ok {
		return "1 = 0", nil
	}
	return a.VisibleSQL(ownerCol, n)
}
