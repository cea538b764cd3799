package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
)

// Activity is a note, call, meeting or email logged on a contact or company.
type Activity struct {
	ID         string    `json:"id" format:"uuid"`
	Kind       Kind      `json:"kind"`
	ContactID  string    `json:"contact_id,omitempty" format:"uuid"`
	CompanyID  string    `json:"company_id,omitempty" format:"uuid"`
	Subject    string    `json:"subject" example:"Renewal call"`
	Body       string    `json:"body" example:"She now takes her latte **unsweetened**." doc:"Markdown."`
	Pinned     bool      `json:"pinned" doc:"A pinned note shows as a banner on its record."`
	OccurredAt time.Time `json:"occurred_at"`
	EndsAt     time.Time `json:"ends_at,omitzero" doc:"A meeting's end."`
	Outcome    string    `json:"outcome,omitempty" example:"connected" doc:"A call's result."`
	Duration   int       `json:"duration_seconds,omitempty" example:"300" doc:"A call's length in seconds."`
	Direction  string    `json:"direction,omitempty" example:"outbound" doc:"inbound or outbound, for calls and emails."`
	Attendees  []string  `json:"attendees,omitempty" doc:"A meeting's attendees."`
	CreatedBy  string    `json:"created_by,omitempty" format:"uuid"`
	Author     string    `json:"author,omitempty" example:"Olga Owner"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ActivityInput logs an activity (POST) or changes one (PATCH); fields
// left out stay as they are. The record (contact_id, company_id) is set
// on creation only.
type ActivityInput struct {
	Kind       *Kind      `json:"kind,omitempty" example:"call" doc:"Required for a new activity."`
	ContactID  *string    `json:"contact_id,omitempty" example:"01890a5d-ac96-774b-bcce-b302099a8057" doc:"The contact to log it on (its primary company sees it too)."`
	CompanyID  *string    `json:"company_id,omitempty" doc:"The company to log it on, when there is no contact."`
	Subject    *string    `json:"subject,omitempty" example:"Renewal call"`
	Body       *string    `json:"body,omitempty" example:"Call back in **May**." doc:"Markdown, at most 100,000 characters; a note needs one."`
	Pinned     *bool      `json:"pinned,omitempty" doc:"Pin a note to its record."`
	OccurredAt *time.Time `json:"occurred_at,omitempty" doc:"When it happened; now when left out."`
	EndsAt     *time.Time `json:"ends_at,omitempty"`
	Outcome    *string    `json:"outcome,omitempty" example:"left voicemail" doc:"connected, left voicemail, no answer, busy or wrong number."`
	Duration   *int       `json:"duration_seconds,omitempty" example:"300"`
	Direction  *string    `json:"direction,omitempty" example:"outbound"`
	Attendees  *[]string  `json:"attendees,omitempty"`
}

func (in ActivityInput) service() activity.Input {
	return activity.Input{Kind: strp(in.Kind), ContactID: in.ContactID, CompanyID: in.CompanyID,
		Subject: in.Subject, Body: in.Body, Pinned: in.Pinned, OccurredAt: in.OccurredAt, EndsAt: in.EndsAt,
		Outcome: in.Outcome, Duration: in.Duration, Direction: in.Direction, Attendees: in.Attendees}
}

func toActivity(x activity.Activity) *Activity {
	return &Activity{ID: x.ID, Kind: Kind(x.Kind), ContactID: x.ContactID, CompanyID: x.CompanyID,
		Subject: x.Subject, Body: x.Body, Pinned: x.Pinned, OccurredAt: x.OccurredAt, EndsAt: x.EndsAt,
		Outcome: x.Outcome, Duration: x.Duration, Direction: x.Direction, Attendees: x.Attendees,
		CreatedBy: x.CreatedBy, Author: x.Author, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}
}

// TimelineEntry is one line of a timeline: an activity or an event.
type TimelineEntry struct {
	ID        string    `json:"id" format:"uuid"`
	At        time.Time `json:"at"`
	Kind      EntryKind `json:"kind"`
	Actor     string    `json:"actor,omitempty" example:"Olga Owner" doc:"Who did it."`
	ContactID string    `json:"contact_id,omitempty" format:"uuid" doc:"On a company's timeline, the contact it happened to."`
	Activity  *Activity `json:"activity,omitempty" doc:"Set when kind is an activity kind."`
	Event     *Event    `json:"event,omitempty" doc:"Set when kind is system."`
}

// Event is something Rapport recorded.
type Event struct {
	Type      string          `json:"type" example:"contact.updated" doc:"contact.created, contact.updated, contact.owner_changed, contact.tagged, contact.merged, company.created, ..."`
	SubjectID string          `json:"subject_id" format:"uuid" doc:"The record it happened to."`
	Data      json.RawMessage `json:"data" doc:"What happened; contact.updated has {changes: [{field, before, after}]}."`
}

// TimelinePage is one page of a timeline, newest first.
type TimelinePage struct {
	Data       []TimelineEntry `json:"data"`
	NextCursor string          `json:"next_cursor,omitempty" doc:"Pass as cursor for older entries; absent at the end."`
}

type activityInput struct{ Body ActivityInput }
type activityPatch struct {
	IDPath
	Body ActivityInput
}
type activityOut struct{ Body *Activity }
type activityCreated struct {
	Location string `header:"Location" doc:"The new activity's URL."`
	Body     *Activity
}
type timelineInput struct {
	IDPath
	Cursor string   `query:"cursor" doc:"next_cursor of the previous page; leave it out for the newest entries."`
	Limit  int      `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Entries per page."`
	Kinds  []string `query:"kind,explode" doc:"Only these kinds: note, call, meeting, email, system (repeat the parameter for several)."`
}
type timelineOut struct{ Body TimelinePage }

func (a *API) activityRoutes() {
	tags := []string{"Activities"}
	p := Prefix + "/activities"
	register(a, huma.Operation{OperationID: "create-activity", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Log a note, call, meeting or email", DefaultStatus: http.StatusCreated}, a.createActivity)
	register(a, huma.Operation{OperationID: "get-activity", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get an activity", Errors: []int{http.StatusNotFound}}, a.getActivity)
	register(a, huma.Operation{OperationID: "update-activity", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change an activity", Errors: []int{http.StatusNotFound}}, a.updateActivity)
	register(a, huma.Operation{OperationID: "delete-activity", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete an activity", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound}}, a.deleteActivity)
}

// timelineRoute registers the timeline of object ("contact" or "company").
func (a *API) timelineRoute(object, path string, tags []string) {
	desc := "Notes, calls, meetings, emails and everything Rapport recorded, newest first."
	if object == "company" {
		desc += " A company's timeline includes what happened with its contacts."
	}
	register(a, huma.Operation{OperationID: object + "-timeline", Method: http.MethodGet, Path: path, Tags: tags,
		Summary: "The " + object + "'s timeline", Description: desc,
		Errors: []int{http.StatusNotFound}}, func(ctx context.Context, in *timelineInput) (*timelineOut, error) {
		q := activity.TimelineQuery{Kinds: in.Kinds, After: in.Cursor, Limit: in.Limit}
		if object == "contact" {
			q.ContactID = in.ID
		} else {
			q.CompanyID = in.ID
		}
		entries, next, err := a.o.Activities.Timeline(ctx, q)
		if v := apperr.AsValidation(err); v != nil {
			// The service calls the cursor "after".
			for i := range v.Fields {
				if v.Fields[i].Field == "after" {
					v.Fields[i].Field = "cursor"
				}
			}
		}
		if err != nil {
			return nil, a.fail(ctx, err)
		}
		out := &timelineOut{Body: TimelinePage{Data: make([]TimelineEntry, len(entries)), NextCursor: next}}
		for i, e := range entries {
			t := TimelineEntry{ID: e.ID, At: e.At, Kind: EntryKind(e.Kind()), Actor: e.ActorName, ContactID: e.ContactID}
			if e.Activity != nil {
				t.Activity = toActivity(*e.Activity)
			} else {
				t.Event = &Event{Type: e.EventKind, SubjectID: e.SubjectID, Data: e.EventData}
			}
			out.Body.Data[i] = t
		}
		return out, nil
	})
}

func (a *API) createActivity(ctx context.Context, in *activityInput) (*activityCreated, error) {
	x, err := a.o.Activities.Create(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &activityCreated{Location: Prefix + "/activities/" + x.ID, Body: toActivity(x)}, nil
}

func (a *API) getActivity(ctx context.Context, in *IDPath) (*activityOut, error) {
	x, err := a.o.Activities.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &activityOut{Body: toActivity(x)}, nil
}

func (a *API) updateActivity(ctx context.Context, in *activityPatch) (*activityOut, error) {
	x, err := a.o.Activities.Update(ctx, in.ID, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &activityOut{Body: toActivity(x)}, nil
}

func (a *API) deleteActivity(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Activities.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}
