package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/notify"
)

// Notification is one message to the caller, e.g. a task reminder.
type Notification struct {
	ID        string     `json:"id" format:"uuid"`
	Kind      string     `json:"kind" example:"task.reminder"`
	Title     string     `json:"title" example:"Call back about the offer"`
	Body      string     `json:"body,omitempty" example:"Due 2026-03-31 at 09:30"`
	Link      string     `json:"link,omitempty" example:"/tasks/01890a5d-ac96-774b-bcce-b302099a8057" doc:"Path in the web app."`
	Read      bool       `json:"read"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

func toNotification(n notify.Notification) Notification {
	return Notification{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, Read: n.Read(),
		ReadAt: timePtr(n.ReadAt), CreatedAt: n.CreatedAt}
}

// NotificationPage is one page of the caller's notifications, newest first.
type NotificationPage struct {
	Data       []Notification `json:"data"`
	NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor to get older notifications; absent on the last page."`
	Unread     int            `json:"unread" doc:"How many of the caller's notifications are unread, on every page."`
}

// MarkedRead says how many notifications were marked read.
type MarkedRead struct {
	Marked int `json:"marked"`
}

type notificationList struct {
	Cursor string `query:"cursor" doc:"next_cursor of the page before."`
	Limit  int    `query:"limit" doc:"Page size, 1 to 50 (default 50)."`
}
type notificationPageOut struct{ Body NotificationPage }
type notificationOut struct{ Body Notification }
type markedReadOut struct{ Body MarkedRead }

func (a *API) notificationRoutes() {
	tags := []string{"Notifications"}
	p := Prefix + "/notifications"
	register(a, huma.Operation{OperationID: "list-notifications", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List your notifications", Errors: []int{http.StatusNotFound}}, a.listNotifications)
	register(a, huma.Operation{OperationID: "read-notification", Method: http.MethodPost, Path: p + "/{id}/read", Tags: tags,
		Summary: "Mark a notification read", Errors: []int{http.StatusNotFound}}, a.readNotification)
	register(a, huma.Operation{OperationID: "read-all-notifications", Method: http.MethodPost, Path: p + "/read-all", Tags: tags,
		Summary: "Mark all your notifications read"}, a.readAllNotifications)
}

func (a *API) listNotifications(ctx context.Context, in *notificationList) (*notificationPageOut, error) {
	// Notifications are about tasks: a key needs a tasks scope to reach them.
	if err := access.CheckKeyScope(ctx, "tasks", access.Read); err != nil {
		return nil, a.fail(ctx, err)
	}
	page, err := a.o.Notifications.List(ctx, in.Cursor, in.Limit)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &notificationPageOut{Body: NotificationPage{Data: make([]Notification, len(page.Notifications)),
		NextCursor: page.Older, Unread: page.Unread}}
	for i, n := range page.Notifications {
		out.Body.Data[i] = toNotification(n)
	}
	return out, nil
}

func (a *API) readNotification(ctx context.Context, in *IDPath) (*notificationOut, error) {
	// Notifications are about tasks: a key needs a tasks scope to reach them.
	if err := access.CheckKeyScope(ctx, "tasks", access.Update); err != nil {
		return nil, a.fail(ctx, err)
	}
	n, err := a.o.Notifications.MarkRead(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &notificationOut{Body: toNotification(n)}, nil
}

func (a *API) readAllNotifications(ctx context.Context, _ *struct{}) (*markedReadOut, error) {
	// Notifications are about tasks: a key needs a tasks scope to reach them.
	if err := access.CheckKeyScope(ctx, "tasks", access.Update); err != nil {
		return nil, a.fail(ctx, err)
	}
	n, err := a.o.Notifications.MarkAllRead(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &markedReadOut{Body: MarkedRead{Marked: n}}, nil
}
