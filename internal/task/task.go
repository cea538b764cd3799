// Package task holds follow-ups: a title, notes, a due date with an optional
// time in a time zone, a priority, an assignee, links to a contact, company
// or deal, a recurrence rule and a reminder. Completing a recurring task
// creates its next occurrence in the same transaction; reminders and the
// daily digest are durable jobs (reminder.go, digest.go).
package task

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/record"
)

// Object is the permission object of tasks. The assignee is the owner the
// visibility scope looks at.
const Object = "tasks"

func init() {
	access.Register(access.Object{Name: Object, Label: "Tasks", Owned: true})
}

// Priorities of a task, lowest first.
const (
	Low    = "low"
	Normal = "normal"
	High   = "high"
)

// Priorities lists the priorities in the order forms show them.
var Priorities = []string{Low, Normal, High}

// Frequencies of a recurrence; "" means the task does not repeat.
const (
	Daily   = "daily"
	Weekly  = "weekly"
	Monthly = "monthly"
	Yearly  = "yearly"
)

// Frequencies lists the recurrence frequencies.
var Frequencies = []string{Daily, Weekly, Monthly, Yearly}

// MaxInterval bounds a recurrence's interval (every 999 days at most).
const MaxInterval = 999

// TimeLayout is how a due time is written: "HH:MM", 24-hour.
const TimeLayout = "15:04"

// Task is one follow-up.
type Task struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Notes        string    `json:"notes"`
	DueDate      string    `json:"due_date,omitempty"`
	DueTime      string    `json:"due_time,omitempty"`
	TimeZone     string    `json:"time_zone"`
	DueAt        time.Time `json:"due_at,omitzero"`
	Priority     string    `json:"priority"`
	AssigneeID   string    `json:"assignee_id,omitempty"`
	AssigneeName string    `json:"assignee_name,omitempty"`
	ContactID    string    `json:"contact_id,omitempty"`
	ContactName  string    `json:"contact_name,omitempty"`
	CompanyID    string    `json:"company_id,omitempty"`
	CompanyName  string    `json:"company_name,omitempty"`
	DealID       string    `json:"deal_id,omitempty"`
	DealName     string    `json:"deal_name,omitempty"`
	Recurrence   Rule      `json:"recurrence"`
	PreviousID   string    `json:"previous_id,omitempty"`
	RemindAt     time.Time `json:"remind_at,omitzero"`
	DoneAt       time.Time `json:"done_at,omitzero"`
	DoneBy       string    `json:"done_by,omitempty"`
	Version      int       `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	CreatedBy    string    `json:"created_by,omitempty"`
	UpdatedBy    string    `json:"updated_by,omitempty"`
	// anchor is the due date the recurrence counts from.
	anchor string
}

// Done reports whether the task is completed.
func (t Task) Done() bool { return !t.DoneAt.IsZero() }

// Rule is a recurrence: every Interval days, weeks, months or years from
// the first due date, until Until (inclusive) if set.
type Rule struct {
	Frequency string `json:"frequency,omitempty"`
	Interval  int    `json:"interval,omitempty"`
	Until     string `json:"until,omitempty"`
}

// Repeats reports whether r makes further occurrences.
func (r Rule) Repeats() bool { return r.Frequency != "" }

// Label says the rule in words: "Every 2 weeks", "Yearly".
func (r Rule) Label() string {
	if !r.Repeats() {
		return ""
	}
	unit := map[string]string{Daily: "day", Weekly: "week", Monthly: "month", Yearly: "year"}[r.Frequency]
	s := strings.ToUpper(r.Frequency[:1]) + r.Frequency[1:]
	if r.Interval > 1 {
		s = fmt.Sprintf("Every %d %ss", r.Interval, unit)
	}
	if r.Until != "" {
		s += " until " + r.Until
	}
	return s
}

// Input creates or changes a task; nil fields stay as they are (PATCH).
// An empty string clears an optional field.
type Input struct {
	Title      *string `json:"title,omitempty"`
	Notes      *string `json:"notes,omitempty"`
	DueDate    *string `json:"due_date,omitempty"`
	DueTime    *string `json:"due_time,omitempty"`
	TimeZone   *string `json:"time_zone,omitempty"`
	Priority   *string `json:"priority,omitempty"`
	AssigneeID *string `json:"assignee_id,omitempty"`
	ContactID  *string `json:"contact_id,omitempty"`
	CompanyID  *string `json:"company_id,omitempty"`
	DealID     *string `json:"deal_id,omitempty"`
	// Recurrence: Frequency "" stops the task repeating.
	Recurrence *Rule `json:"recurrence,omitempty"`
	// RemindAt is an RFC 3339 instant, or "YYYY-MM-DDTHH:MM" in the
	// task's time zone (what a browser's datetime-local field sends).
	RemindAt *string `json:"remind_at,omitempty"`
	// Version, when set, must equal the task's version (optimistic lock).
	Version *int `json:"version,omitempty"`
}

func set(dst *string, src *string) {
	if src != nil {
		*dst = strings.TrimSpace(*src)
	}
}

// apply copies the set fields of in onto t and checks the task's own
// fields; links and the assignee are checked by the service. dueChanged
// reports whether the due date was set to something new.
func (in Input) apply(t *Task, v *apperr.Validation) (dueChanged bool) {
	if in.Title != nil {
		t.Title = *in.Title
	}
	if in.Notes != nil {
		t.Notes = *in.Notes
	}
	oldDue := t.DueDate
	set(&t.DueDate, in.DueDate)
	set(&t.DueTime, in.DueTime)
	set(&t.TimeZone, in.TimeZone)
	set(&t.Priority, in.Priority)
	set(&t.AssigneeID, in.AssigneeID)
	set(&t.ContactID, in.ContactID)
	set(&t.CompanyID, in.CompanyID)
	set(&t.DealID, in.DealID)
	if in.Recurrence != nil {
		t.Recurrence = *in.Recurrence
		t.Recurrence.Frequency = strings.ToLower(strings.TrimSpace(t.Recurrence.Frequency))
		t.Recurrence.Until = strings.TrimSpace(t.Recurrence.Until)
	}
	record.Text(v, "title", &t.Title, 300, false)
	if t.Title == "" {
		v.Add("title", "Enter what there is to do.")
	}
	record.Text(v, "notes", &t.Notes, 10000, true)
	if t.Priority == "" {
		t.Priority = Normal
	}
	if !slices.Contains(Priorities, t.Priority) {
		v.Add("priority", "Choose low, normal or high.")
	}
	if t.TimeZone == "" {
		t.TimeZone = "UTC"
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil || t.TimeZone == "Local" {
		v.Add("time_zone", "Choose a time zone like Europe/Berlin or UTC.")
		loc = time.UTC
	}
	if t.DueDate != "" {
		if _, err := time.Parse(db.DateLayout, t.DueDate); err != nil {
			v.Add("due_date", "Enter the date as YYYY-MM-DD, e.g. 2026-03-31.")
		}
	}
	if t.DueTime != "" {
		if _, err := time.Parse(TimeLayout, t.DueTime); err != nil {
			v.Add("due_time", "Enter the time as HH:MM, e.g. 09:30.")
		} else if t.DueDate == "" {
			v.Add("due_time", "A time needs a due date.")
		}
	}
	for field, ref := range map[string]string{"assignee_id": t.AssigneeID, "contact_id": t.ContactID,
		"company_id": t.CompanyID, "deal_id": t.DealID} {
		if ref != "" && !id.Valid(ref) {
			v.Add(field, "Choose a record from the list.")
		}
	}
	if in.RemindAt != nil {
		t.RemindAt = time.Time{}
		if s := strings.TrimSpace(*in.RemindAt); s != "" {
			at, ok := parseInstant(s, loc)
			if !ok {
				v.Add("remind_at", "Enter the reminder time as YYYY-MM-DDTHH:MM (or an RFC 3339 instant).")
			}
			t.RemindAt = at
		}
	}
	checkRule(&t.Recurrence, t.DueDate, v)
	dueChanged = t.DueDate != oldDue
	if v.For("due_date") == "" && v.For("due_time") == "" {
		t.DueAt = dueInstant(t.DueDate, t.DueTime, loc)
	}
	return dueChanged
}

// parseInstant reads an RFC 3339 instant or a local "YYYY-MM-DDTHH:MM[:SS]"
// in loc.
func parseInstant(s string, loc *time.Location) (time.Time, bool) {
	if at, err := time.Parse(time.RFC3339, s); err == nil {
		return at.UTC().Truncate(time.Second), true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if at, err := time.ParseInLocation(layout, s, loc); err == nil {
			return at.UTC(), true
		}
	}
	return time.Time{}, false
}

// dueInstant is the UTC instant a task falls due: its time on its date in
// loc, or the last minute of the date when no time is set. Zero without a
// date.
func dueInstant(date, clock string, loc *time.Location) time.Time {
	if date == "" {
		return time.Time{}
	}
	d, err := time.ParseInLocation(db.DateLayout, date, loc)
	if err != nil {
		return time.Time{}
	}
	h, m := 23, 59
	if c, err := time.Parse(TimeLayout, clock); err == nil && clock != "" {
		h, m = c.Hour(), c.Minute()
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc).UTC()
}

// checkRule normalises r and reports a rule that can never fire.
func checkRule(r *Rule, due string, v *apperr.Validation) {
	if r.Frequency == "" || r.Frequency == "none" {
		*r = Rule{}
		return
	}
	if !slices.Contains(Frequencies, r.Frequency) {
		v.Add("recurrence.frequency", "Choose daily, weekly, monthly or yearly.")
		return
	}
	if r.Interval == 0 {
		r.Interval = 1
	}
	if r.Interval < 1 || r.Interval > MaxInterval {
		v.Add("recurrence.interval", fmt.Sprintf("Repeat every 1 to %d %s; %d never fires.", MaxInterval, r.unit(), r.Interval))
	}
	if due == "" {
		v.Add("recurrence.frequency", "A repeating task needs a due date to count from.")
		return
	}
	if r.Until == "" {
		return
	}
	until, err := time.Parse(db.DateLayout, r.Until)
	if err != nil {
		v.Add("recurrence.until", "Enter the date as YYYY-MM-DD.")
		return
	}
	if r.Interval < 1 || r.Interval > MaxInterval {
		return
	}
	if next, _ := NextDue(*r, due, due); !next.IsZero() && next.After(until) {
		v.Add("recurrence.until", "The task would never repeat: the next date after "+due+" is "+
			next.Format(db.DateLayout)+", after the end date.")
	}
}

func (r Rule) unit() string {
	return map[string]string{Daily: "days", Weekly: "weeks", Monthly: "months", Yearly: "years"}[r.Frequency]
}

// NextDue returns the date of the occurrence after due for rule r counted
// from anchor (the first due date), and false when the rule ends before it.
// Monthly and yearly rules keep the anchor's day: a task on the 31st falls
// on the last day of shorter months and returns to the 31st; a yearly task
// on 29 February falls on 28 February in other years.
func NextDue(r Rule, anchor, due string) (time.Time, bool) {
	a, err1 := time.Parse(db.DateLayout, anchor)
	d, err2 := time.Parse(db.DateLayout, due)
	if err1 != nil || err2 != nil || !r.Repeats() || r.Interval < 1 {
		return time.Time{}, false
	}
	if a.After(d) {
		a = d
	}
	var next time.Time
	switch r.Frequency {
	case Daily, Weekly:
		step := r.Interval
		if r.Frequency == Weekly {
			step *= 7
		}
		days := int(d.Sub(a).Hours() / 24)
		n := days/step + 1
		next = a.AddDate(0, 0, n*step)
	case Monthly, Yearly:
		stepMonths := r.Interval
		if r.Frequency == Yearly {
			stepMonths *= 12
		}
		months := (d.Year()-a.Year())*12 + int(d.Month()-a.Month())
		n := months/stepMonths + 1
		for {
			next = addMonthsClamped(a, n*stepMonths)
			if next.After(d) {
				break
			}
			n++
		}
	default:
		return time.Time{}, false
	}
	if r.Until != "" {
		if until, err := time.Parse(db.DateLayout, r.Until); err == nil && next.After(until) {
			return next, false
		}
	}
	return next, true
}

// addMonthsClamped adds n months to t, keeping t's day of the month or the
// last day of the target month when it is shorter.
func addMonthsClamped(t time.Time, n int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := t.Day()
	if day > last {
		day = last
	}
	return time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, time.UTC)
}

// fields flattens the values an update event compares.
func (t Task) fields() map[string]any {
	return map[string]any{
		"title": t.Title, "notes": t.Notes, "due_date": t.DueDate, "due_time": t.DueTime,
		"time_zone": t.TimeZone, "priority": t.Priority, "assignee_id": t.AssigneeID,
		"contact_id": t.ContactID, "company_id": t.CompanyID, "deal_id": t.DealID,
		"recurrence": t.Recurrence.Label(), "remind_at": timeText(t.RemindAt),
	}
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
