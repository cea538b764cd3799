package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/money"
)

// dealRoutes registers the pages of: Deals: the kanban board of a
// pipeline, the deal list, deal pages and forms, and Settings → Pipelines.
func (s *Server) dealRoutes(page func(pattern string, h http.HandlerFunc)) {
	if s.deals == nil {
		return
	}
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /deals", s.dealBoard)
	p("GET /deals/more", s.dealBoardMore)
	l := &lists{s: s}
	k := l.dealKind()
	p("GET /deals/list", func(w http.ResponseWriter, r *http.Request) { l.list(w, r, k) })
	p("GET /deals/list/count", func(w http.ResponseWriter, r *http.Request) { l.count(w, r, k) })
	p("GET /deals/new", s.dealNew)
	p("POST /deals", s.dealCreate)
	p("GET /deals/suggest/contacts", s.dealSuggestContacts)
	p("GET /deals/{id}", s.dealShow)
	p("GET /deals/{id}/edit", s.dealEdit)
	p("POST /deals/{id}", s.dealUpdate)
	p("POST /deals/{id}/delete", s.dealDelete)
	p("POST /deals/{id}/move", s.dealMove)
	p("POST /deals/{id}/won", s.dealClose(deal.Won))
	p("POST /deals/{id}/lost", s.dealClose(deal.Lost))
	p("POST /deals/{id}/reopen", s.dealClose(deal.Open))
	s.pipelineRoutes(p)
}

// boardView is the kanban board of one pipeline.
type boardView struct {
	page
	Pipelines []deal.Pipeline
	Pipeline  deal.Pipeline
	Columns   []boardColumn
	Filter    boardFilter
	Filtered  bool
	Owners    []ownerOption
	// BoardURL is this board with its filters, where moves come back to.
	BoardURL  string
	CanCreate bool
	CanMove   bool
	Errors    *apperr.Validation
}

// boardFilter is the board's filter form as typed.
type boardFilter struct {
	Pipeline, Owner, CloseFrom, CloseTo, AmountMin, AmountMax string
}

// query is the filter as URL parameters.
func (f boardFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"pipeline": f.Pipeline, "owner": f.Owner, "close_from": f.CloseFrom,
		"close_to": f.CloseTo, "amount_min": f.AmountMin, "amount_max": f.AmountMax} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

type boardColumn struct {
	Stage   deal.Stage
	Count   int
	Total   string
	Cards   []boardCard
	MoreURL string
}

// boardCard is a card as the template draws it, every text ready: the
// board draws hundreds, so the template does no lookups of its own.
type boardCard struct {
	ID, Name, AmountText, Meta string
	Version                    int
	CanMove                    bool
}

func newBoardCard(k deal.Card, canMove bool) boardCard {
	var meta []string
	if k.CompanyName != "" {
		meta = append(meta, k.CompanyName)
	}
	if k.CloseDate != "" {
		meta = append(meta, "closes "+k.CloseDate)
	}
	if k.OwnerName != "" {
		meta = append(meta, k.OwnerName)
	}
	return boardCard{ID: k.ID, Name: k.Name, AmountText: money.Format(k.Amount, k.Currency), Meta: strings.Join(meta, " · "),
		Version: k.Version, CanMove: canMove}
}

// boardFilterFrom reads the filter of a board request.
func boardFilterFrom(q url.Values) boardFilter {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return boardFilter{Pipeline: g("pipeline"), Owner: g("owner"), CloseFrom: g("close_from"), CloseTo: g("close_to"),
		AmountMin: g("amount_min"), AmountMax: g("amount_max")}
}

// boardQuery turns the typed filter into the service's query; amounts are
// typed in major units of the pipeline's currency.
func boardQuery(f boardFilter, currency string) (deal.BoardQuery, *apperr.Validation) {
	q := deal.BoardQuery{PipelineID: f.Pipeline, OwnerID: f.Owner, CloseFrom: f.CloseFrom, CloseTo: f.CloseTo}
	var v apperr.Validation
	for _, x := range []struct {
		field, text string
		to          **int64
	}{{"amount_min", f.AmountMin, &q.AmountMin}, {"amount_max", f.AmountMax, &q.AmountMax}} {
		if x.text == "" {
			continue
		}
		n, msg := parseAmount(x.text, currency)
		if msg != "" {
			v.Add(x.field, msg)
			continue
		}
		*x.to = &n
	}
	if v.Err() != nil {
		return q, &v
	}
	return q, nil
}

func (s *Server) dealBoard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	all, err := s.deals.Pipelines(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := boardFilterFrom(r.URL.Query())
	v := boardView{page: s.page(r, "Deals"), Pipelines: all, Filter: f,
		CanCreate: allowed(r, deal.Deals, access.Create), CanMove: allowed(r, deal.Deals, access.Update)}
	v.Filtered = f.Owner != "" || f.CloseFrom != "" || f.CloseTo != "" || f.AmountMin != "" || f.AmountMax != ""
	if v.Owners, err = s.owners(r, f.Owner); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(all) == 0 {
		s.render(w, r, http.StatusOK, "deals_board", v)
		return
	}
	v.Pipeline = all[0]
	for _, p := range all {
		if p.ID == f.Pipeline {
			v.Pipeline = p
		}
	}
	f.Pipeline = v.Pipeline.ID
	v.BoardURL = "/deals?" + f.query().Encode()
	q, verr := boardQuery(f, v.Pipeline.Currency)
	if verr != nil {
		v.Errors = verr
		q = deal.BoardQuery{PipelineID: v.Pipeline.ID}
	}
	b, err := s.deals.Board(ctx, q)
	if verr2 := apperr.AsValidation(err); verr2 != nil {
		v.Errors = verr2
		b, err = s.deals.Board(ctx, deal.BoardQuery{PipelineID: v.Pipeline.ID})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Pipeline = b.Pipeline
	for _, c := range b.Columns {
		v.Columns = append(v.Columns, s.boardColumn(c, f, b.Pipeline.Currency, v.CanMove))
	}
	status := http.StatusOK
	if v.Errors != nil {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "deals_board", v)
}

func (s *Server) boardColumn(c deal.Column, f boardFilter, currency string, canMove bool) boardColumn {
	col := boardColumn{Stage: c.Stage, Count: c.Count, Total: formatTotals(c.Totals, currency)}
	for _, k := range c.Cards {
		col.Cards = append(col.Cards, newBoardCard(k, canMove))
	}
	if c.More && len(c.Cards) > 0 {
		col.MoreURL = moreURL(f, c.Stage.ID, c.Cards[len(c.Cards)-1].ID)
	}
	return col
}

func moreURL(f boardFilter, stageID, afterID string) string {
	q := f.query()
	q.Set("stage", stageID)
	q.Set("after", afterID)
	return "/deals/more?" + q.Encode()
}

// boardMoreView is the next cards of a column, for "show more".
type boardMoreView struct {
	Cards   []boardCard
	MoreURL string
}

// dealBoardMore answers "show more" with the next cards of a column.
func (s *Server) dealBoardMore(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := boardFilterFrom(r.URL.Query())
	stageID, after := r.URL.Query().Get("stage"), r.URL.Query().Get("after")
	p, err := s.deals.Pipeline(ctx, f.Pipeline)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, ok := p.Stage(stageID); !ok {
		s.notFound(w, r)
		return
	}
	q, verr := boardQuery(f, p.Currency)
	if verr != nil {
		s.fail(w, r, verr)
		return
	}
	cards, more, err := s.deals.MoreCards(ctx, q, stageID, after)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var v boardMoreView
	canMove := allowed(r, deal.Deals, access.Update)
	for _, k := range cards {
		v.Cards = append(v.Cards, newBoardCard(k, canMove))
	}
	if more && len(cards) > 0 {
		v.MoreURL = moreURL(f, stageID, cards[len(cards)-1].ID)
	}
	s.fragment(w, r, http.StatusOK, "deal-cards-more", v)
}

// moveAnswer is what the board's script gets back from a move.
type moveAnswer struct {
	Version   int           `json:"version,omitempty"`
	StageID   string        `json:"stage_id,omitempty"`
	StageName string        `json:"stage_name,omitempty"`
	Columns   []moveTotals  `json:"columns,omitempty"`
	Error     string        `json:"error,omitempty"`
	Fields    []moveMessage `json:"fields,omitempty"`
}

type moveTotals struct {
	StageID string `json:"stage_id"`
	Count   int    `json:"count"`
	Total   string `json:"total"`
}

type moveMessage struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// wantsJSON reports whether the board's script sent the request.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// dealMove moves a card: from the board's script (JSON answer with the new
// column totals) or from the card's menu form without script (redirect).
func (s *Server) dealMove(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	in := deal.MoveInput{StageID: r.PostFormValue("stage_id"), AfterID: r.PostFormValue("after_id"),
		BeforeID: r.PostFormValue("before_id"), Version: version}
	back := r.PostFormValue("return")
	if !strings.HasPrefix(back, "/deals") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/deals"
	}
	d, err := s.deals.Move(ctx, r.PathValue("id"), in)
	if err != nil {
		s.moveFailed(w, r, err, back)
		return
	}
	if !wantsJSON(r) {
		s.redirect(w, r, back, d.Name+" moved to "+d.StageName+".")
		return
	}
	ans := moveAnswer{Version: d.Version, StageID: d.StageID, StageName: d.StageName}
	// The new totals under the board's own filters; amounts in the filter
	// are in the pipeline's currency.
	u, _ := url.Parse(back)
	f := boardFilterFrom(u.Query())
	f.Pipeline = d.PipelineID
	q := deal.BoardQuery{PipelineID: d.PipelineID}
	if p, err := s.deals.Pipeline(ctx, d.PipelineID); err == nil {
		if fq, verr := boardQuery(f, p.Currency); verr == nil {
			q = fq
		}
	}
	q.Limit = 1
	b, err := s.deals.Board(ctx, q)
	if err != nil {
		s.log(r).Error("board totals after move", "err", err)
	}
	for _, c := range b.Columns {
		ans.Columns = append(ans.Columns, moveTotals{StageID: c.Stage.ID, Count: c.Count, Total: formatTotals(c.Totals, b.Pipeline.Currency)})
	}
	writeJSON(w, http.StatusOK, ans)
}

// moveFailed tells the mover why a move did not happen. A conflict is put
// in the flash, so the board the script reloads says who moved the card.
func (s *Server) moveFailed(w http.ResponseWriter, r *http.Request, err error, back string) {
	var c *deal.Conflict
	v := apperr.AsValidation(err)
	switch {
	case errors.As(err, &c):
		if wantsJSON(r) {
			s.flash(r, c.Error())
			writeJSON(w, http.StatusConflict, moveAnswer{Error: c.Error()})
			return
		}
		s.redirect(w, r, back, c.Error())
	case v != nil && wantsJSON(r):
		ans := moveAnswer{Error: "The deal was not moved."}
		for _, f := range v.Fields {
			ans.Fields = append(ans.Fields, moveMessage{f.Field, f.Message})
			ans.Error = f.Message
		}
		writeJSON(w, http.StatusUnprocessableEntity, ans)
	case v != nil:
		s.redirect(w, r, back, v.Fields[0].Message)
	case wantsJSON(r) && errors.Is(err, apperr.ErrNotFound):
		writeJSON(w, http.StatusNotFound, moveAnswer{Error: "This deal is gone or you may not see it."})
	case wantsJSON(r) && errors.Is(err, apperr.ErrForbidden):
		writeJSON(w, http.StatusForbidden, moveAnswer{Error: "Your role does not allow moving deals."})
	default:
		s.fail(w, r, err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// formatTotals writes a column's sums, one per currency.
func formatTotals(totals []deal.Money, currency string) string {
	if len(totals) == 0 {
		return money.Format(0, currency)
	}
	parts := make([]string, len(totals))
	for i, m := range totals {
		parts[i] = money.Format(m.Amount, m.Currency)
	}
	return strings.Join(parts, " + ")
}

// parseAmount reads an amount typed in major units ("1,250.50") as minor
// units of currency; empty is zero. msg says why money.Parse refused it.
func parseAmount(s, currency string) (n int64, msg string) {
	if strings.TrimSpace(s) == "" {
		return 0, ""
	}
	return money.Parse(s, currency)
}
