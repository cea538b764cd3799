// Package activity holds what people log on a customer's record — notes,
// calls, meetings and emails written by hand — and the timeline that shows
// them beside every event the system recorded, newest first.
package activity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/record"
)

// Kinds of activity.
const (
	Note    = "note"
	Call    = "call"
	Meeting = "meeting"
	Email   = "email"
)

// Kinds lists the activity kinds with their labels.
var Kinds = []struct{ Key, Label string }{{Note, "Note"}, {Call, "Call"}, {Meeting, "Meeting"}, {Email, "Email"}}

// Outcomes of a call.
var Outcomes = []string{"connected", "left voicemail", "no answer", "busy", "wrong number"}

// Directions of a call or email.
var Directions = []string{"inbound", "outbound"}

// Limits.
const (
	MaxBody      = 100_000
	MaxAttendees = 100
)

// Activity is one logged interaction.
type Activity struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	ContactID string `json:"contact_id,omitempty"`
	CompanyID string `json:"company_id,omitempty"`
	Subject   string `json:"subject"`
	// Body is Markdown.
	Body       string    `json:"body"`
	Pinned     bool      `json:"pinned"`
	OccurredAt time.Time `json:"occurred_at"`
	// EndsAt is a meeting's end.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// Outcome is a call's result.
	Outcome string `json:"outcome,omitempty"`
	// Duration is a call's length in seconds.
	Duration  int       `json:"duration_seconds,omitempty"`
	Direction string    `json:"direction,omitempty"`
	Attendees []string  `json:"attendees,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	Author    string    `json:"author,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Input logs or changes an activity; nil fields stay as they are.
type Input struct {
	Kind      *string `json:"kind,omitempty"`
	ContactID *string `json:"contact_id,omitempty"`
	CompanyID *string `json:"company_id,omitempty"`
	Subject   *string `json:"subject,omitempty"`
	Body      *string `json:"body,omitempty"`
	Pinned    *bool   `json:"pinned,omitempty"`
	// OccurredAt defaults to now for a new activity.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
	EndsAt     *time.Time `json:"ends_at,omitempty"`
	Outcome    *string    `json:"outcome,omitempty"`
	Duration   *int       `json:"duration_seconds,omitempty"`
	Direction  *string    `json:"direction,omitempty"`
	Attendees  *[]string  `json:"attendees,omitempty"`
}

func (in Input) apply(a *Activity, v *apperr.Validation, now time.Time) {
	str := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	str(&a.Kind, in.Kind)
	str(&a.Subject, in.Subject)
	str(&a.Body, in.Body)
	str(&a.Outcome, in.Outcome)
	str(&a.Direction, in.Direction)
	if in.Pinned != nil {
		a.Pinned = *in.Pinned
	}
	if in.OccurredAt != nil {
		a.OccurredAt = in.OccurredAt.UTC().Truncate(time.Microsecond)
	}
	if in.EndsAt != nil {
		a.EndsAt = in.EndsAt.UTC().Truncate(time.Microsecond)
	}
	if in.Duration != nil {
		a.Duration = *in.Duration
	}
	if in.Attendees != nil {
		a.Attendees = nil
		for _, x := range *in.Attendees {
			if x = strings.TrimSpace(x); x != "" && !slices.Contains(a.Attendees, x) {
				a.Attendees = append(a.Attendees, x)
			}
		}
	}
	if !slices.ContainsFunc(Kinds, func(k struct{ Key, Label string }) bool { return k.Key == a.Kind }) {
		v.Add("kind", "Choose note, call, meeting or email.")
	}
	record.Text(v, "subject", &a.Subject, 300, false)
	if len(a.Body) > MaxBody*4 {
		v.Add("body", fmt.Sprintf("Keep the text under %d characters; this is %d kB.", MaxBody, len(a.Body)/1024))
		a.Body = a.Body[:MaxBody]
	} else {
		record.Text(v, "body", &a.Body, MaxBody, true)
	}
	if a.Kind == Note && a.Body == "" {
		v.Add("body", "Write something in the note.")
	}
	if a.Kind == Email && a.Subject == "" && a.Body == "" {
		v.Add("subject", "Give the email a subject or a body.")
	}
	if a.OccurredAt.IsZero() {
		a.OccurredAt = now
	}
	if a.OccurredAt.After(now.Add(366*24*time.Hour)) || a.OccurredAt.Year() < 1970 {
		v.Add("occurred_at", "Enter a date between 1970 and a year from now.")
	}
	a.Outcome = strings.TrimSpace(a.Outcome)
	if a.Outcome != "" && !slices.Contains(Outcomes, a.Outcome) {
		v.Add("outcome", "Choose an outcome: "+strings.Join(Outcomes, ", ")+".")
	}
	if a.Direction != "" && !slices.Contains(Directions, a.Direction) {
		v.Add("direction", "Choose inbound or outbound.")
	}
	if a.Duration < 0 || a.Duration > 24*3600 {
		v.Add("duration_seconds", "Enter a duration between 0 and 24 hours.")
	}
	if !a.EndsAt.IsZero() && a.EndsAt.Before(a.OccurredAt) {
		v.Add("ends_at", "The meeting must end after it starts.")
	}
	if len(a.Attendees) > MaxAttendees {
		v.Add("attendees", fmt.Sprintf("List at most %d attendees.", MaxAttendees))
	}
	for i := range a.Attendees {
		record.Text(v, fmt.Sprintf("attendees[%d]", i), &a.Attendees[i], 200, false)
	}
	if a.Kind != Call {
		a.Outcome, a.Duration = "", 0
	}
	if a.Kind != Meeting {
		a.EndsAt, a.Attendees = time.Time{}, nil
	}
	if a.Kind != Call && a.Kind != Email {
		a.Direction = ""
	}
	a.Pinned = a.Pinned && a.Kind == Note
}
