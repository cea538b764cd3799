package bench

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/user"
)

// scopedLists measures the contact list as a manager (team scope) and as
// a member (own scope) against the same list read by the owner, who sees
// everything: the price of record visibility.
func (e *env) scopedLists() error {
	users, err := e.users.List(e.ctx)
	if err != nil {
		return err
	}
	base := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := e.contacts.List(ctx, listRequest)
		return err
	})
	for _, role := range []string{user.RoleManager, user.RoleMember} {
		var who *user.User
		for i := range users {
			if users[i].Role == role {
				who = &users[i]
				break
			}
		}
		if who == nil {
			return fmt.Errorf("bench: the demo has no %s", role)
		}
		ctx := access.WithActor(e.ctx, who.Actor())
		svc := run(ctx, e.single(), func(ctx context.Context, _, _ int) error {
			_, err := e.contacts.List(ctx, listRequest)
			return err
		})
		e.add(Result{Samples: svc.N, BaseSamples: base.N,
			Operation: fmt.Sprintf("contact list as a %s (%s scope)", role, who.Access.Scope),
			Baseline:  "the same list as the owner (all records)", Unit: "ms p95", Value: ms(svc.P95), Base: ms(base.P95),
			Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(svc.P50), ms(base.P50))})
	}
	return nil
}
