package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/audit"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID         string    `json:"id" format:"uuid"`
	OccurredAt time.Time `json:"occurred_at"`
	ActorID    string    `json:"actor_id,omitempty" doc:"The user who acted; empty for Rapport itself or an anonymous visitor."`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action" example:"contact.updated"`
	Outcome    string    `json:"outcome" enum:"ok,denied,failed"`
	ObjectType string    `json:"object_type" example:"contact"`
	ObjectID   string    `json:"object_id"`
	Address    string    `json:"address" doc:"The client address the request came from."`
	UserAgent  string    `json:"user_agent"`
	Details    any       `json:"details,omitempty" doc:"Before/after values, counts or a reason; left out when the person it was about has been erased."`
	Erased     bool      `json:"erased,omitempty" doc:"The person this entry was about has been erased; their details are gone."`
}

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Data       []AuditEntry `json:"data"`
	NextCursor string       `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page."`
}

type auditListIn struct {
	Actor      string    `query:"actor" format:"uuid" doc:"Only entries by this user."`
	Action     string    `query:"action" maxLength:"100" example:"contact." doc:"An exact action, or a prefix ending in a dot."`
	ObjectType string    `query:"object_type" maxLength:"100"`
	ObjectID   string    `query:"object_id" maxLength:"200"`
	Outcome    string    `query:"outcome" enum:"ok,denied,failed"`
	From       time.Time `query:"from" doc:"Entries at or after this time (RFC 3339)."`
	To         time.Time `query:"to" doc:"Entries before this time (RFC 3339)."`
	Cursor     string    `query:"cursor" maxLength:"200"`
	Limit      int       `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type auditListOut struct{ Body AuditPage }

func (a *API) auditRoutes() {
	register(a, huma.Operation{OperationID: "list-audit-log", Method: http.MethodGet, Path: Prefix + "/audit",
		Tags: []string{"Audit log"}, Summary: "Read the audit log",
		Description: "Who did what, when and from where: every change, sign-in, export and refused attempt. " +
			"Owners and admins only. The log is append-only: no route changes or removes an entry, and an " +
			"attempt to is refused (405) and itself recorded.",
		Errors: []int{http.StatusForbidden, http.StatusUnprocessableEntity}}, a.listAudit)
}

func (a *API) listAudit(ctx context.Context, in *auditListIn) (*auditListOut, error) {
	f := audit.Filter{ActorID: in.Actor, Action: in.Action, ObjectType: in.ObjectType, ObjectID: in.ObjectID,
		Outcome: in.Outcome, From: in.From, To: in.To}
	p, err := a.o.Audit.List(ctx, f, in.Cursor, in.Limit)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &auditListOut{Body: AuditPage{Data: []AuditEntry{}, NextCursor: p.Next}}
	for _, e := range p.Entries {
		out.Body.Data = append(out.Body.Data, AuditEntry{ID: e.ID, OccurredAt: e.OccurredAt, ActorID: e.ActorID,
			ActorName: e.ActorName, Action: e.Action, Outcome: e.Outcome, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
			Address: e.Address, UserAgent: e.UserAgent, Details: e.Details, Erased: e.Erased})
	}
	return out, nil
}
