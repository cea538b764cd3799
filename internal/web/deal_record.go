package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/query"
)

// dealView is a deal's page.
type dealView struct {
	page
	Deal       deal.Deal
	AmountText string
	Weighted   string
	Custom     []shownValue
	History    []stayView
	Timeline   []timelineEntry
	Stages     []deal.Stage
	CanEdit    bool
	Delete     recordDeleteView
	Return     string
}

// recordDeleteView feeds the "record-delete" partial.
type recordDeleteView struct{ Action, Name, What string }

// stayView is one row of the stage history.
type stayView struct {
	Stage      string
	EnteredAt  time.Time
	LeftAt     time.Time
	Spent      string
	Current    bool
	EnteredBy  string
	StageFound bool
}

// spent writes a duration as people read it: "3 days 4 h", "2 h 5 min".
func spent(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return count(int(d.Minutes()), "minute", "minutes")
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
	days := int(d.Hours() / 24)
	return fmt.Sprintf("%s %d h", count(days, "day", "days"), int(d.Hours())%24)
}

func (s *Server) dealShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.deals.ByID(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defs, err := s.fields.List(ctx, customfield.ObjectDeal)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	stays, err := s.deals.History(ctx, d.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.deals.Pipeline(ctx, d.PipelineID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := dealView{page: s.page(r, d.Name), Deal: d, AmountText: money.Format(d.Amount, d.Currency),
		Weighted: money.Format(d.Amount*int64(d.Probability)/100, d.Currency), Custom: customShown(defs, d.Custom),
		Stages: p.Stages, CanEdit: allowed(r, deal.Deals, access.Update), Return: "/deals/" + d.ID,
		Delete: recordDeleteView{Action: "/deals/" + d.ID + "/delete", Name: d.Name, What: "deal"}}
	for i, st := range stays {
		v.History = append(v.History, stayView{Stage: st.StageName, EnteredAt: st.EnteredAt, LeftAt: st.LeftAt,
			Spent: spent(st.Duration), Current: st.LeftAt.IsZero() && i == len(stays)-1, EnteredBy: st.ByName})
	}
	if v.Timeline, err = s.dealTimeline(ctx, d, defs); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "deal", v)
}

// dealTimeline is the deal's events in words, newest first.
func (s *Server) dealTimeline(ctx context.Context, d deal.Deal, defs []customfield.Field) ([]timelineEntry, error) {
	evs, err := s.deals.Events(ctx, d.ID, 100)
	if err != nil {
		return nil, err
	}
	desc := newDescriber("deal", d.ID, defs, nil)
	for k, l := range dealLabels {
		desc.labels[k] = l
	}
	list := make([]activity.Entry, len(evs))
	for i, e := range evs {
		list[i] = activity.Entry{ID: e.ID, At: e.OccurredAt, EventKind: e.Kind, EventData: json.RawMessage(e.Data),
			ActorName: e.ActorName, SubjectID: e.SubjectID}
	}
	return desc.entries(list), nil
}

var dealLabels = map[string]string{"amount": "Amount", "currency": "Currency", "close_date": "Close date",
	"company": "Company", "owner": "Owner", "pipeline": "Pipeline", "contacts": "Contacts"}

func init() {
	registerSentence("deal.created", func(t eventText) string {
		return fmt.Sprintf("%s created %s in %s", t.Actor, t.This, t.Str("stage"))
	})
	registerSentence("deal.stage_changed", func(t eventText) string {
		var secs int64
		_ = json.Unmarshal(t.Data["seconds_in_stage"], &secs)
		return fmt.Sprintf("%s moved %s from %s to %s after %s", t.Actor, t.This, t.Str("from"), t.Str("to"),
			spent(time.Duration(secs)*time.Second))
	})
	registerSentence("deal.won", func(t eventText) string { return fmt.Sprintf("%s marked %s won", t.Actor, t.This) })
	registerSentence("deal.lost", func(t eventText) string {
		return fmt.Sprintf("%s marked %s lost: %s", t.Actor, t.This, t.Str("reason"))
	})
	registerSentence("deal.reopened", func(t eventText) string { return fmt.Sprintf("%s reopened %s", t.Actor, t.This) })
}

// dealFormView is the new and edit deal form.
type dealFormView struct {
	page
	ID, Action, Cancel string
	Version            int

	Name, StageID, Amount, Currency, CloseDate, OwnerID, CompanyID, CompanyName string
	Contacts                                                                    []deal.Ref
	Custom                                                                      []customInput

	Pipelines []deal.Pipeline
	Owners    []ownerOption
	Errors    *apperr.Validation
}

func (s *Server) dealNew(w http.ResponseWriter, r *http.Request) {
	if !allowed(r, deal.Deals, access.Create) {
		s.forbidden(w, r)
		return
	}
	defs, err := s.fields.List(r.Context(), customfield.ObjectDeal)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := dealFormView{page: s.page(r, "New deal"), Action: "/deals", Cancel: "/deals", OwnerID: me(r).ID,
		StageID: r.URL.Query().Get("stage"), Custom: customInputsFrom(defs, nil)}
	// Started from a contact or company page: linked to it.
	if cid := r.URL.Query().Get("contact"); cid != "" {
		if c, err := s.contacts.ByID(r.Context(), cid); err == nil {
			v.Contacts = []deal.Ref{{ID: c.ID, Name: c.DisplayName}}
		}
	}
	if cid := r.URL.Query().Get("company"); cid != "" {
		if c, err := s.companies.ByID(r.Context(), cid); err == nil {
			v.CompanyID, v.CompanyName = c.ID, c.Name
		}
	}
	s.renderDealForm(w, r, http.StatusOK, v)
}

func (s *Server) dealEdit(w http.ResponseWriter, r *http.Request) {
	d, err := s.deals.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defs, err := s.fields.List(r.Context(), customfield.ObjectDeal)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	amount := money.FormatPlain(d.Amount, d.Currency)
	v := dealFormView{page: s.page(r, "Edit "+d.Name), ID: d.ID, Action: "/deals/" + d.ID, Cancel: "/deals/" + d.ID,
		Version: d.Version, Name: d.Name, StageID: d.StageID, Amount: amount, Currency: d.Currency,
		CloseDate: d.CloseDate, OwnerID: d.OwnerID, CompanyID: d.CompanyID, CompanyName: d.CompanyName,
		Contacts: d.Contacts, Custom: customInputsFrom(defs, d.Custom)}
	s.renderDealForm(w, r, http.StatusOK, v)
}

func (s *Server) renderDealForm(w http.ResponseWriter, r *http.Request, status int, v dealFormView) {
	var err error
	if v.Owners, err = s.owners(r, v.OwnerID); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Pipelines, err = s.deals.Pipelines(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "deal_form", v)
}

func (s *Server) dealCreate(w http.ResponseWriter, r *http.Request) { s.saveDeal(w, r, "") }
func (s *Server) dealUpdate(w http.ResponseWriter, r *http.Request) {
	s.saveDeal(w, r, r.PathValue("id"))
}

// saveDeal creates (id == "") or updates a deal from the posted form.
func (s *Server) saveDeal(w http.ResponseWriter, r *http.Request, id string) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	defs, err := s.fields.List(ctx, customfield.ObjectDeal)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pipelines, err := s.deals.Pipelines(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.PostForm
	v := dealFormView{ID: id, Action: "/deals", Cancel: "/deals", Name: f.Get("name"), StageID: f.Get("stage_id"),
		Amount: f.Get("amount"), Currency: strings.ToUpper(strings.TrimSpace(f.Get("currency"))), CloseDate: f.Get("close_date"),
		OwnerID: f.Get("owner_id"), CompanyID: f.Get("company_id"), CompanyName: f.Get("company_name"),
		Custom: customInputsPosted(defs, r)}
	v.Version, _ = strconv.Atoi(f.Get("version"))
	if id != "" {
		v.Action, v.Cancel = "/deals/"+id, "/deals/"+id
	}
	if strings.TrimSpace(v.CompanyName) == "" {
		v.CompanyID = ""
	}
	contactIDs := []string{}
	names := f["contact_name"]
	for i, cid := range f["contact_id"] {
		if cid = strings.TrimSpace(cid); cid != "" {
			contactIDs = append(contactIDs, cid)
			n := ""
			if i < len(names) {
				n = names[i]
			}
			v.Contacts = append(v.Contacts, deal.Ref{ID: cid, Name: n})
		}
	}
	in := deal.Input{Name: &v.Name, CloseDate: &v.CloseDate, OwnerID: &v.OwnerID, CompanyID: &v.CompanyID,
		ContactIDs: &contactIDs, Custom: customPatch(defs, r), Version: v.Version}
	if v.StageID != "" {
		in.StageID = &v.StageID
		for _, p := range pipelines {
			if _, ok := p.Stage(v.StageID); ok {
				in.PipelineID = &p.ID
				if v.Currency == "" {
					v.Currency = p.Currency
				}
			}
		}
	}
	if v.Currency != "" {
		in.Currency = &v.Currency
	}
	amount, amountMsg := parseAmount(v.Amount, v.Currency)
	if amountMsg != "" {
		amount = -1 // refused by the service, so nothing is saved
	}
	in.Amount = &amount
	var d deal.Deal
	if id == "" {
		d, err = s.deals.Create(ctx, in)
	} else {
		d, err = s.deals.Update(ctx, id, in)
	}
	verr, err := formError(err)
	if err != nil {
		if conflict := asConflict(err); conflict != nil {
			verr = &apperr.Validation{}
			verr.Add("version", conflict.Error()+" Reload the deal to see the change, then edit it again.")
			verr.Conflict = true
		} else {
			s.fail(w, r, err)
			return
		}
	}
	if verr != nil {
		if amountMsg != "" {
			for i := range verr.Fields {
				if verr.Fields[i].Field == "amount" {
					verr.Fields[i].Message = amountMsg
				}
			}
		}
		v.Errors = verr
		title := "New deal"
		if id != "" {
			title = "Edit deal"
		}
		v.page = s.page(r, title)
		s.renderDealForm(w, r, invalidStatus(verr), v)
		return
	}
	msg := "Deal created."
	if id != "" {
		msg = "Changes saved."
	}
	s.redirect(w, r, "/deals/"+d.ID, msg)
}

func (s *Server) dealDelete(w http.ResponseWriter, r *http.Request) {
	d, err := s.deals.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.deals.Delete(r.Context(), d.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/deals?pipeline="+d.PipelineID, d.Name+" was deleted.")
}

// dealClose marks a deal won, lost (with the reason typed) or open again.
func (s *Server) dealClose(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.parseForm(w, r) {
			return
		}
		ctx := r.Context()
		version, _ := strconv.Atoi(r.PostFormValue("version"))
		in := deal.CloseInput{Reason: r.PostFormValue("reason"), Version: version}
		var d deal.Deal
		var err error
		switch status {
		case deal.Won:
			d, err = s.deals.MarkWon(ctx, r.PathValue("id"), in)
		case deal.Lost:
			d, err = s.deals.MarkLost(ctx, r.PathValue("id"), in)
		default:
			d, err = s.deals.Reopen(ctx, r.PathValue("id"), in)
		}
		back := "/deals/" + r.PathValue("id")
		if c := asConflict(err); c != nil {
			s.redirect(w, r, back, c.Error())
			return
		}
		if v := apperr.AsValidation(err); v != nil {
			s.redirect(w, r, back, v.Fields[0].Message)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		msg := map[string]string{deal.Won: "Marked won.", deal.Lost: "Marked lost.", deal.Open: "Reopened."}[status]
		s.redirect(w, r, back, d.Name+": "+msg)
	}
}

func asConflict(err error) *deal.Conflict {
	var c *deal.Conflict
	if err != nil && errors.As(err, &c) {
		return c
	}
	return nil
}

// contactSuggestions are the contacts a deal form offers to link.
type contactSuggestions struct {
	Query string
	Rows  []deal.Ref
}

// dealSuggestContacts lists contacts whose name starts with what was typed.
func (s *Server) dealSuggestContacts(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("contact_query"))
	v := contactSuggestions{Query: q}
	if q != "" {
		page, err := s.contacts.List(r.Context(), query.Request{Limit: suggestLimit, Sort: query.Sort{Field: "name"},
			Filter: query.Group{Conditions: []query.Condition{{Field: "name", Op: query.StartsWith, Value: q}}}})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, c := range page.Rows {
			v.Rows = append(v.Rows, deal.Ref{ID: c.ID, Name: c.DisplayName})
		}
	}
	s.fragment(w, r, http.StatusOK, "deal-contact-suggestions", v)
}

// recordDealsView is the small list of deals on a contact or company page.
type recordDealsView struct {
	Deals  []recordDeal
	NewURL string
	CanAdd bool
}

type recordDeal struct {
	deal.Deal
	AmountText string
}

// recordDeals reads the deals of a contact or company page; nil when the
// user may not read deals or there is no deal service.
func (s *Server) recordDeals(r *http.Request, recordID string, isCompany bool) *recordDealsView {
	if s.deals == nil || !allowed(r, deal.Deals, access.Read) {
		return nil
	}
	list, err := s.deals.ForRecord(r.Context(), recordID, isCompany, 20)
	if err != nil {
		s.log(r).Error("deals of a record", "err", err)
		return nil
	}
	v := &recordDealsView{CanAdd: allowed(r, deal.Deals, access.Create), NewURL: "/deals/new?contact=" + recordID}
	if isCompany {
		v.NewURL = "/deals/new?company=" + recordID
	}
	for _, d := range list {
		v.Deals = append(v.Deals, recordDeal{Deal: d, AmountText: money.Format(d.Amount, d.Currency)})
	}
	return v
}
