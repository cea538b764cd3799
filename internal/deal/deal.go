// Package deal holds sales pipelines, their ordered stages with a win
// probability, and the deals that move through them on a kanban board:
// amount and currency, expected close date, owner, contacts, company,
// custom fields, won or lost with a reason, and the time spent per stage.
package deal

import (
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/record"
)

// Permission objects: deals obey the owner scope; pipelines are
// administered by owners and admins and read by whoever reads deals.
const (
	Deals     = "deals"
	Pipelines = "pipelines"
)

func init() {
	access.Register(access.Object{Name: Deals, Label: "Deals", Owned: true})
	access.Register(access.Object{Name: Pipelines, Label: "Pipelines and stages", Admin: true})
}

// Statuses of a deal.
const (
	Open = "open"
	Won  = "won"
	Lost = "lost"
)

// Statuses lists the statuses in the order pages show them.
var Statuses = []string{Open, Won, Lost}

// DefaultPipelineID is the "Sales" pipeline every install starts with.
const DefaultPipelineID = "00000000-0000-7000-8000-00000000d000"

// Pipeline is an ordered set of stages deals move through.
type Pipeline struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Currency  string    `json:"currency"`
	Position  int       `json:"position"`
	Stages    []Stage   `json:"stages"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Stage is one column of a pipeline.
type Stage struct {
	ID         string `json:"id"`
	PipelineID string `json:"pipeline_id"`
	Name       string `json:"name"`
	Position   int    `json:"position"`
	// Probability is the chance, 0–100, that a deal here is won.
	Probability int `json:"probability"`
}

// Stage returns the pipeline's stage stageID.
func (p Pipeline) Stage(stageID string) (Stage, bool) {
	for _, s := range p.Stages {
		if s.ID == stageID {
			return s, true
		}
	}
	return Stage{}, false
}

// Ref names a linked contact.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Deal is a sale in progress or closed.
type Deal struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	PipelineID   string `json:"pipeline_id"`
	PipelineName string `json:"pipeline_name"`
	StageID      string `json:"stage_id"`
	StageName    string `json:"stage_name"`
	Probability  int    `json:"probability"`
	// Amount is in minor units of Currency (cents for EUR).
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	CloseDate string `json:"close_date,omitempty"`
	Status    string `json:"status"`
	// LostReason says why a lost deal was lost.
	LostReason     string             `json:"lost_reason,omitempty"`
	ClosedAt       time.Time          `json:"closed_at,omitzero"`
	StageEnteredAt time.Time          `json:"stage_entered_at"`
	Rank           string             `json:"-"`
	OwnerID        string             `json:"owner_id,omitempty"`
	OwnerName      string             `json:"owner_name,omitempty"`
	CompanyID      string             `json:"company_id,omitempty"`
	CompanyName    string             `json:"company_name,omitempty"`
	Contacts       []Ref              `json:"contacts"`
	Custom         customfield.Values `json:"custom"`
	// Version grows with every change; a write that carries an older one
	// is checked for a conflict.
	Version int `json:"version"`
	// MovedVersion is the version at which the stage or card order last
	// changed; MovedAt and MovedByName say when and by whom.
	MovedVersion int       `json:"-"`
	MovedAt      time.Time `json:"-"`
	MovedByName  string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	CreatedBy    string    `json:"created_by,omitempty"`
	UpdatedBy    string    `json:"updated_by,omitempty"`
	UpdatedName  string    `json:"-"`
}

// ContactIDs returns the ids of the linked contacts.
func (d Deal) ContactIDs() []string {
	out := make([]string, len(d.Contacts))
	for i, c := range d.Contacts {
		out[i] = c.ID
	}
	return out
}

// Input creates or changes a deal; nil fields stay as they are (PATCH).
type Input struct {
	Name       *string   `json:"name,omitempty"`
	PipelineID *string   `json:"pipeline_id,omitempty"`
	StageID    *string   `json:"stage_id,omitempty"`
	Amount     *int64    `json:"amount,omitempty"`
	Currency   *string   `json:"currency,omitempty"`
	CloseDate  *string   `json:"close_date,omitempty"`
	OwnerID    *string   `json:"owner_id,omitempty"`
	CompanyID  *string   `json:"company_id,omitempty"`
	ContactIDs *[]string `json:"contact_ids,omitempty"`
	// Custom holds the custom values to set; a null or "" value clears one.
	Custom map[string]any `json:"custom,omitempty"`
	// Version is the version the change was made from; 0 skips the check.
	Version int `json:"version,omitempty"`
}

// apply copies the set fields of in onto d and checks the deal's own
// fields; references (pipeline, stage, owner, contacts, company) are
// checked by the service.
func (in Input) apply(d *Deal, v *apperr.Validation) {
	if in.Name != nil {
		d.Name = *in.Name
	}
	if in.Amount != nil {
		d.Amount = *in.Amount
	}
	if in.Currency != nil {
		d.Currency = strings.ToUpper(strings.TrimSpace(*in.Currency))
	}
	if in.CloseDate != nil {
		d.CloseDate = strings.TrimSpace(*in.CloseDate)
	}
	if in.OwnerID != nil {
		d.OwnerID = strings.TrimSpace(*in.OwnerID)
	}
	if in.CompanyID != nil {
		d.CompanyID = strings.TrimSpace(*in.CompanyID)
	}
	record.Text(v, "name", &d.Name, 200, false)
	if d.Name == "" {
		v.Add("name", "Enter the deal's name.")
	}
	if d.Amount < 0 {
		v.Add("amount", "Enter an amount of zero or more.")
	}
	if d.Amount > MaxAmount {
		v.Add("amount", "Enter a smaller amount.")
	}
	if !money.Valid(d.Currency) {
		v.Add("currency", "Enter a currency as its ISO 4217 code, such as EUR or USD.")
	}
	if d.CloseDate != "" && !ValidDate(d.CloseDate) {
		v.Add("close_date", "Enter a date as YYYY-MM-DD, such as 2024-05-31.")
	}
}

// MaxAmount keeps amounts, and sums of many of them, inside int64.
const MaxAmount = money.Max

// ValidDate reports whether s is a real calendar date written YYYY-MM-DD.
func ValidDate(s string) bool {
	t, err := time.Parse(db.DateLayout, s)
	return err == nil && t.Format(db.DateLayout) == s
}

// fields flattens the values an update event compares.
func (d Deal) fields() map[string]any {
	m := map[string]any{
		"name": d.Name, "amount": d.Amount, "currency": d.Currency, "close_date": d.CloseDate,
		"company": d.CompanyName, "owner": d.OwnerName, "pipeline": d.PipelineName,
		"contacts": refNames(d.Contacts),
	}
	for k, x := range d.Custom {
		m[customfield.FieldName(k)] = x
	}
	return m
}

func refNames(refs []Ref) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// Conflict is the error of a write made from a version someone else has
// changed meanwhile in a way the write cannot be merged with. It matches
// apperr.ErrConflict.
type Conflict struct {
	// Current is the deal as it is now, for the loser to look at.
	Current Deal
	// By, What and At say who changed it, how ("moved to Proposal",
	// "changed") and when.
	By   string
	What string
	At   time.Time
}

func (c *Conflict) Error() string {
	by := c.By
	if by == "" {
		by = "someone else"
	}
	return fmt.Sprintf("This deal was %s by %s %s.", c.What, by, Ago(c.At, time.Now()))
}

// Is makes a Conflict match apperr.ErrConflict.
func (c *Conflict) Is(target error) bool { return target == apperr.ErrConflict }

// Ago says how long before now t was, as people say it.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < 2*time.Minute:
		return "1 minute ago"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 2*time.Hour:
		return "1 hour ago"
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
