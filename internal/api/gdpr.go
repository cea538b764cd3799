package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// ConsentChannel is a channel a person consents to.
type ConsentChannel string

// Schema lists the channels.
func (ConsentChannel) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(consent.Channels))
	for i, c := range consent.Channels {
		keys[i] = c.Key
	}
	return enum("email_marketing, phone (calls) or sms.", keys)
}

// ConsentSource says how a consent change reached Rapport.
type ConsentSource string

// Schema lists the sources.
func (ConsentSource) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(consent.Sources))
	for i, s := range consent.Sources {
		keys[i] = s.Key
	}
	return enum("How the consent change reached Rapport.", keys)
}

// ErasureReason is the category of an erasure's ground.
type ErasureReason string

// Schema lists the reasons.
func (ErasureReason) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(gdpr.Reasons))
	for i, r := range gdpr.Reasons {
		keys[i] = r.Key
	}
	return enum("Why the person is erased (the grounds of GDPR Article 17).", keys)
}

// ConsentChange is one grant or withdrawal.
type ConsentChange struct {
	ID             string         `json:"id" format:"uuid"`
	Channel        ConsentChannel `json:"channel"`
	Granted        bool           `json:"granted" doc:"true: consent given; false: withdrawn."`
	Source         ConsentSource  `json:"source"`
	Detail         string         `json:"detail,omitempty" example:"Newsletter form on the pricing page"`
	OccurredAt     time.Time      `json:"occurred_at" doc:"When the person gave or withdrew consent."`
	RecordedAt     time.Time      `json:"recorded_at" doc:"When Rapport learnt of it."`
	RecordedBy     string         `json:"recorded_by,omitempty" format:"uuid"`
	RecordedByName string         `json:"recorded_by_name,omitempty" example:"Olga Owner"`
}

// ConsentState is the current consent of one channel.
type ConsentState struct {
	Channel ConsentChannel `json:"channel"`
	Granted bool           `json:"granted" doc:"true only when the newest change gave consent."`
	Known   bool           `json:"known" doc:"false when nothing was ever recorded for the channel."`
	Last    *ConsentChange `json:"last,omitempty" doc:"The newest change."`
}

// Consent is a contact's consent: the state per channel and the history.
type Consent struct {
	Current []ConsentState  `json:"current"`
	History []ConsentChange `json:"history" doc:"Every change, newest first."`
}

// ConsentInput records a grant or withdrawal.
type ConsentInput struct {
	Channel    *ConsentChannel `json:"channel,omitempty" doc:"Required."`
	Granted    *bool           `json:"granted,omitempty" doc:"Required: true gives consent, false withdraws it."`
	Source     *ConsentSource  `json:"source,omitempty" doc:"api when left out."`
	Detail     *string         `json:"detail,omitempty" doc:"At most 500 characters: the form, the file, what the person said."`
	OccurredAt *time.Time      `json:"occurred_at,omitempty" doc:"When the person gave or withdrew consent; now when left out."`
}

// ErasureInput asks for an erasure.
type ErasureInput struct {
	Reason *ErasureReason `json:"reason,omitempty" doc:"Required."`
}

// Erasure is the record of an erasure: no personal data.
type Erasure struct {
	ContactID     string        `json:"contact_id" format:"uuid"`
	MergedRecords []string      `json:"merged_records" doc:"Duplicate records of the person, merged into the contact earlier and erased with it."`
	Reason        ErasureReason `json:"reason"`
	At            time.Time     `json:"at"`
	Activities    int           `json:"activities" doc:"Activities deleted."`
	Events        int           `json:"events" doc:"Timeline events deleted."`
	Redacted      int           `json:"redacted" doc:"Rows of other records the person's name, emails or phone numbers were replaced in."`
}

// PersonalData is everything Rapport holds about one person.
type PersonalData struct {
	GeneratedAt    time.Time            `json:"generated_at"`
	GeneratedBy    string               `json:"generated_by"`
	Person         Contact              `json:"person"`
	CustomFields   []CustomValue        `json:"custom_fields" doc:"The custom values with their labels."`
	MergedRecords  []string             `json:"merged_records" doc:"Ids of duplicate records merged into this one."`
	Activities     []Activity           `json:"activities" doc:"Every note, call, meeting and email logged on them."`
	Timeline       []PersonalEvent      `json:"timeline" doc:"Every event recorded about them, oldest first."`
	ConsentCurrent []ConsentState       `json:"consent_current"`
	ConsentHistory []ConsentChange      `json:"consent_history"`
	AuditLog       []PersonalAuditEntry `json:"audit_log" doc:"Every audit-log entry about them, oldest first."`
	Other          map[string]any       `json:"other,omitempty" doc:"What other parts of Rapport (orders, ...) hold, by part."`
}

// CustomValue is a custom field's value with its label.
type CustomValue struct {
	Key   string `json:"key" example:"plan"`
	Label string `json:"label" example:"Plan"`
	Value any    `json:"value"`
}

// PersonalEvent is one recorded event about the person.
type PersonalEvent struct {
	ID          string          `json:"id" format:"uuid"`
	At          time.Time       `json:"at"`
	Kind        string          `json:"kind" example:"contact.updated"`
	Actor       string          `json:"actor,omitempty" example:"Olga Owner"`
	SubjectType string          `json:"subject_type" example:"contact"`
	SubjectID   string          `json:"subject_id" format:"uuid"`
	Data        json.RawMessage `json:"data"`
}

// PersonalAuditEntry is one line of the audit log.
type PersonalAuditEntry struct {
	ID      string          `json:"id" format:"uuid"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor,omitempty" example:"Olga Owner"`
	Action  string          `json:"action" example:"contact.updated"`
	Outcome string          `json:"outcome" example:"ok"`
	Object  string          `json:"object" example:"contact 01890a5d-ac96-774b-bcce-b302099a8057"`
	Details json.RawMessage `json:"details,omitempty"`
}

type consentOut struct{ Body Consent }
type consentRecordIn struct {
	IDPath
	Body ConsentInput
}
type consentCreated struct{ Body ConsentChange }
type erasureIn struct {
	IDPath
	Body ErasureInput
}
type erasureOut struct{ Body Erasure }
type exportOut struct {
	ContentDisposition string `header:"Content-Disposition"`
	Body               PersonalData
}

func (a *API) gdprRoutes() {
	tags := []string{"Privacy"}
	p := Prefix + "/contacts/{id}"
	register(a, huma.Operation{OperationID: "export-contact", Method: http.MethodGet, Path: p + "/export", Tags: tags,
		Summary: "Export everything about a person",
		Description: "The contact's fields, custom values, activities, timeline, consent history and audit-log " +
			"entries, for a data subject access request. Needs the export right on contacts; the export is audited.",
		Errors: []int{http.StatusNotFound}}, a.exportContact)
	register(a, huma.Operation{OperationID: "erase-contact", Method: http.MethodPost, Path: p + "/erase", Tags: tags,
		Summary: "Erase a person",
		Description: "Removes the person's personal data everywhere in one transaction: the contact and duplicates " +
			"merged into it, activities, timeline, consent history and search entries; their name, emails and phone " +
			"numbers are replaced where other records quote them. The audit log keeps its entries with the details " +
			"made unreadable and records the erasure without personal data. Needs the delete right on contacts. " +
			"Cannot be undone.",
		Errors: []int{http.StatusNotFound}}, a.eraseContact)
	register(a, huma.Operation{OperationID: "get-contact-consent", Method: http.MethodGet, Path: p + "/consent",
		Tags: tags, Summary: "A contact's consent per channel and its history",
		Errors: []int{http.StatusNotFound}}, a.getConsent)
	register(a, huma.Operation{OperationID: "record-contact-consent", Method: http.MethodPost, Path: p + "/consent",
		Tags: tags, Summary: "Record a grant or withdrawal of consent", DefaultStatus: http.StatusCreated,
		Description: "Adds to the history; the newest change of a channel (by occurred_at) is its current state. " +
			"Marketing reaches a person on a channel only while it is granted.",
		Errors: []int{http.StatusNotFound}}, a.recordConsent)
}

func (a *API) exportContact(ctx context.Context, in *IDPath) (*exportOut, error) {
	x, err := a.o.GDPR.Export(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := PersonalData{GeneratedAt: x.GeneratedAt, GeneratedBy: x.GeneratedBy, Person: toContact(x.Person),
		CustomFields: []CustomValue{}, MergedRecords: nonNil(x.MergedRecords), Activities: []Activity{},
		Timeline: []PersonalEvent{}, ConsentHistory: []ConsentChange{}, AuditLog: []PersonalAuditEntry{}, Other: x.Other}
	for _, c := range x.CustomFields {
		out.CustomFields = append(out.CustomFields, CustomValue(c))
	}
	for _, act := range x.Activities {
		out.Activities = append(out.Activities, *toActivity(act))
	}
	for _, e := range x.Timeline {
		out.Timeline = append(out.Timeline, PersonalEvent(e))
	}
	out.ConsentCurrent = toConsentStates(x.ConsentNow)
	for _, c := range x.ConsentHistory {
		out.ConsentHistory = append(out.ConsentHistory, toConsentChange(c))
	}
	for _, e := range x.AuditLog {
		out.AuditLog = append(out.AuditLog, PersonalAuditEntry(e))
	}
	return &exportOut{ContentDisposition: `attachment; filename="personal-data-` + x.Person.ID + `.json"`,
		Body: out}, nil
}

func (a *API) eraseContact(ctx context.Context, in *erasureIn) (*erasureOut, error) {
	e, err := a.o.GDPR.Erase(ctx, in.ID, val(in.Body.Reason))
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &erasureOut{Body: Erasure{ContactID: e.ContactID, MergedRecords: nonNil(e.MergedRecords),
		Reason: ErasureReason(e.Reason), At: e.At, Activities: e.Activities, Events: e.Events, Redacted: e.Redacted}}, nil
}

func (a *API) getConsent(ctx context.Context, in *IDPath) (*consentOut, error) {
	h, err := a.o.Consent.History(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := Consent{Current: toConsentStates(consent.CurrentOf(h)), History: []ConsentChange{}}
	for _, c := range h {
		out.History = append(out.History, toConsentChange(c))
	}
	return &consentOut{Body: out}, nil
}

func (a *API) recordConsent(ctx context.Context, in *consentRecordIn) (*consentCreated, error) {
	b := in.Body
	x := consent.Input{Channel: val(b.Channel), Granted: b.Granted, Source: "api", OccurredAt: b.OccurredAt}
	if b.Source != nil {
		x.Source = string(*b.Source)
	}
	if b.Detail != nil {
		x.Detail = *b.Detail
	}
	c, err := a.o.Consent.Record(ctx, in.ID, x)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &consentCreated{Body: toConsentChange(c)}, nil
}

func toConsentChange(c consent.Change) ConsentChange {
	return ConsentChange{ID: c.ID, Channel: ConsentChannel(c.Channel), Granted: c.Granted, Source: ConsentSource(c.Source),
		Detail: c.Detail, OccurredAt: c.OccurredAt, RecordedAt: c.RecordedAt, RecordedBy: c.RecordedBy,
		RecordedByName: c.RecordedByName}
}

func toConsentStates(states []consent.State) []ConsentState {
	out := make([]ConsentState, len(states))
	for i, s := range states {
		out[i] = ConsentState{Channel: ConsentChannel(s.Channel), Granted: s.Granted, Known: s.Known}
		if s.Last != nil {
			c := toConsentChange(*s.Last)
			out[i].Last = &c
		}
	}
	return out
}

// val is *p, or "" for nil.
func val[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
