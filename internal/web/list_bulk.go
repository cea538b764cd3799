package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/bulk"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/query"
)

// listBulkPage is what the bulk confirmation, problem, progress and count
// pages show.
type listBulkPage struct {
	Input    bulk.Input
	Scope    string
	IDs      []string
	Filter   string // the filter as JSON
	Back     string
	Question string
	Button   string
	Message  string
	Messages []string

	Op          bulk.Operation
	Title       string
	Max         int
	Value       int // the bar's value: everything once finished
	Percent     int
	ProgressURL string
	ListURL     string
	Summary     string
	Problems    []string

	CountText string
	CountNext string // the exact count's address when CountText is a bound
	Count     int    // the exact count, 0 when not known
}

// count serves GET /contacts/count: the matches of a filter, exact up to
// contact.CountCap; beyond it the answer says so and asks for the exact
// figure itself (htmx loads CountNext as soon as it arrives).
func (l *lists) count(w http.ResponseWriter, r *http.Request, k *listKind) {
	q := r.URL.Query()
	req, err := query.ParseRequest(nil, q)
	limit := contact.CountCap
	if q.Get(listParamExact) == "1" {
		limit = 0
	}
	b := &listBulkPage{}
	if err == nil {
		var n int
		var exact bool
		n, exact, err = k.count(r.Context(), req.Filter, limit)
		switch {
		case err != nil:
		case exact:
			b.Count = n
			b.CountText = fmt.Sprintf("%s %s", thousands(n), plural(n, k.One, k.Many))
		default:
			b.CountText = fmt.Sprintf("More than %s %s", thousands(n), k.Many)
			b.CountNext = listCountURL(k, req.Filter, true)
		}
	}
	if err != nil && apperr.AsValidation(err) == nil {
		l.s.fail(w, r, err)
		return
	}
	v := &listView{Kind: k, Mode: "count", Bulk: b}
	if listHX(r) {
		l.fragment(w, r, k, "list-count", v)
		return
	}
	v.page = l.s.page(r, k.Title)
	b.Back = k.Path
	if err == nil {
		b.Back = listState{Filter: req.Filter}.url(k)
	} else {
		b.CountText = "This filter cannot be counted: " + strings.Join(listProblems(apperr.AsValidation(err), req.Filter, nil), " ")
	}
	l.render(w, r, http.StatusOK, k, v)
}

// bulkAction serves POST /contacts/bulk: a selection (or the page) is
// changed at once; everything the filter matches is started as a job.
// Deleting, and acting on everything, asks for confirmation first.
func (l *lists) bulkAction(w http.ResponseWriter, r *http.Request, k *listKind) {
	if err := r.ParseForm(); err != nil {
		l.s.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	f := r.PostForm
	b := &listBulkPage{Scope: f.Get("scope"), Filter: f.Get(query.ParamFilter), Back: listBack(k, f.Get("back")),
		Input: bulk.Input{Object: k.Object, Action: bulk.Action(f.Get("action")), Tag: f.Get("bulk_tag"), OwnerID: f.Get("bulk_owner")}}
	confirmed := f.Get("confirm") == "1"
	ctx := r.Context()
	if err := l.bulk.Check(ctx, b.Input); err != nil {
		l.bulkFailed(w, r, k, b, err)
		return
	}
	if b.Scope == "all" {
		var filter query.Group
		if b.Filter != "" {
			if err := json.Unmarshal([]byte(b.Filter), &filter); err != nil {
				l.bulkFailed(w, r, k, b, listMessage("The filter could not be read; go back to the list and try again."))
				return
			}
		}
		if !confirmed {
			n, _, err := k.count(ctx, filter, 0)
			if err != nil {
				l.bulkFailed(w, r, k, b, err)
				return
			}
			l.bulkConfirm(w, r, k, b, n)
			return
		}
		op, err := l.bulk.Start(ctx, b.Input, filter)
		if err != nil {
			l.bulkFailed(w, r, k, b, err)
			return
		}
		http.Redirect(w, r, "/bulk/"+op.ID, http.StatusSeeOther)
		return
	}
	b.IDs = f["id"]
	if b.Scope == "page" {
		b.IDs = f["page_id"]
	}
	if len(b.IDs) == 0 {
		l.bulkFailed(w, r, k, b, listMessage(fmt.Sprintf("Select at least one %s, or choose all on this page.", k.One)))
		return
	}
	if b.Input.Action == bulk.Delete && !confirmed {
		l.bulkConfirm(w, r, k, b, len(b.IDs))
		return
	}
	res, err := l.bulk.Apply(ctx, b.Input, b.IDs)
	if err != nil {
		l.bulkFailed(w, r, k, b, err)
		return
	}
	owner := ""
	if b.Input.Action == bulk.Owner && b.Input.OwnerID != "" {
		if u, err := l.s.users.ByID(ctx, b.Input.OwnerID); err == nil {
			owner = u.Name
		}
	}
	l.s.sessions.Put(ctx, "flash", listBulkSummary(k, b.Input, owner, res.Changed, res.Unchanged, res.Problems, len(res.Problems)))
	http.Redirect(w, r, b.Back, http.StatusSeeOther)
}

// bulkConfirm asks before deleting or acting on everything.
func (l *lists) bulkConfirm(w http.ResponseWriter, r *http.Request, k *listKind, b *listBulkPage, n int) {
	what := fmt.Sprintf("%s %s", thousands(n), plural(n, k.One, k.Many))
	if b.Scope == "all" {
		what = fmt.Sprintf("all %s matching the filter (%s now)", k.Many, thousands(n))
	}
	switch b.Input.Action {
	case bulk.Tag:
		b.Question, b.Button = fmt.Sprintf("Tag %s with “%s”?", what, b.Input.Tag), "Yes, add the tag"
	case bulk.Untag:
		b.Question, b.Button = fmt.Sprintf("Remove the tag “%s” from %s?", b.Input.Tag, what), "Yes, remove the tag"
	case bulk.Owner:
		b.Question, b.Button = fmt.Sprintf("Change the owner of %s?", what), "Yes, change the owner"
	case bulk.Delete:
		b.Question, b.Button = fmt.Sprintf("Delete %s?", what), "Yes, delete"
	}
	v := &listView{page: l.s.page(r, k.Title), Kind: k, Mode: "confirm", Bulk: b}
	l.render(w, r, http.StatusOK, k, v)
}

// bulkFailed shows why a bulk action did not run: 403 for a role that may
// not, 422 with the messages for bad input.
func (l *lists) bulkFailed(w http.ResponseWriter, r *http.Request, k *listKind, b *listBulkPage, err error) {
	status := http.StatusUnprocessableEntity
	switch v := apperr.AsValidation(err); {
	case v != nil:
		for _, fe := range v.Fields {
			b.Messages = append(b.Messages, fe.Message)
		}
	case errors.Is(err, bulk.ErrNoQueue):
		status = http.StatusServiceUnavailable
		b.Messages = []string{"Background work is not running on this server, so this cannot start now. Select fewer records, or try again later."}
	case errors.Is(err, apperr.ErrForbidden), errors.Is(err, apperr.ErrNotFound):
		l.s.fail(w, r, err)
		return
	default:
		var m listMessage
		if !errors.As(err, &m) {
			l.s.fail(w, r, err)
			return
		}
		b.Messages = []string{string(m)}
	}
	v := &listView{page: l.s.page(r, k.Title), Kind: k, Mode: "problem", Bulk: b}
	l.render(w, r, status, k, v)
}

// progress serves GET /bulk/{id}: the progress of a bulk job; htmx polls
// the fragment every second until the job ends; without JavaScript a
// Refresh header reloads the page.
func (l *lists) progress(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	op, err := l.bulk.ByID(ctx, r.PathValue("id"))
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	k := l.kindOf(op.Object)
	b := &listBulkPage{Op: op, Input: op.Input(), Max: max(op.Total, 1), ProgressURL: "/bulk/" + op.ID,
		ListURL: listState{Filter: op.Params.Filter}.url(k)}
	b.Value = min(op.Done, b.Max)
	if op.Finished() {
		// Records that left the filter or the list meanwhile are not
		// counted, so a finished job may show fewer than it matched.
		b.Value = b.Max
	}
	b.Percent = b.Value * 100 / b.Max
	b.Title = listBulkIntent(k, op.Input(), op.Total)
	if op.Finished() {
		b.Summary = listBulkSummary(k, op.Input(), "", op.Params.Changed, op.Done-op.Params.Changed-op.Params.ProblemCount,
			op.Params.Problems, op.Params.ProblemCount)
		if op.Status == bulk.Failed {
			b.Summary = "Stopped: " + op.Error + " " + b.Summary
		}
	}
	v := &listView{Kind: k, Mode: "progress", Bulk: b}
	if listHX(r) {
		l.fragment(w, r, k, "list-bulk-progress", v)
		return
	}
	if !op.Finished() {
		w.Header().Set("Refresh", "2")
	}
	v.page = l.s.page(r, k.Title)
	l.render(w, r, http.StatusOK, k, v)
}

// listBulkIntent names an action on n records before it is done.
func listBulkIntent(k *listKind, in bulk.Input, n int) string {
	what := fmt.Sprintf("%s %s", thousands(n), plural(n, k.One, k.Many))
	switch in.Action {
	case bulk.Tag:
		return fmt.Sprintf("Tag %s with “%s”", what, in.Tag)
	case bulk.Untag:
		return fmt.Sprintf("Remove the tag “%s” from %s", in.Tag, what)
	case bulk.Owner:
		return "Change the owner of " + what
	}
	return "Delete " + what
}

// listBulkVerb says what an action did to n records.
func listBulkVerb(k *listKind, in bulk.Input, owner string, n int) string {
	what := fmt.Sprintf("%s %s", thousands(n), plural(n, k.One, k.Many))
	switch in.Action {
	case bulk.Tag:
		return fmt.Sprintf("Tagged %s with “%s”.", what, in.Tag)
	case bulk.Untag:
		return fmt.Sprintf("Removed the tag “%s” from %s.", in.Tag, what)
	case bulk.Owner:
		if in.OwnerID == "" {
			return fmt.Sprintf("Removed the owner of %s.", what)
		}
		if owner == "" {
			return fmt.Sprintf("Changed the owner of %s.", what)
		}
		return fmt.Sprintf("Changed the owner of %s to %s.", what, owner)
	}
	return fmt.Sprintf("Deleted %s.", what)
}

// listBulkSummary is the message after an action: what changed, what needed
// no change and what could not be changed.
func listBulkSummary(k *listKind, in bulk.Input, owner string, changed, unchanged int, problems []bulk.Problem, problemCount int) string {
	s := listBulkVerb(k, in, owner, changed)
	if unchanged > 0 {
		s += fmt.Sprintf(" %s needed no change.", thousands(unchanged))
	}
	if problemCount > 0 {
		s += fmt.Sprintf(" %s could not be changed", thousands(problemCount))
		for i, p := range problems {
			if i == 3 {
				break
			}
			sep := ": "
			if i > 0 {
				sep = "; "
			}
			s += sep + p.String()
		}
		s += "."
	}
	return s
}

// listMessage is an error whose text is meant for the person.
type listMessage string

func (m listMessage) Error() string { return string(m) }

// listBack accepts a "back" address only when it is this list.
func listBack(k *listKind, to string) string {
	if (to == k.Path || strings.HasPrefix(to, k.Path+"?")) && !strings.ContainsAny(to, "\\\r\n") {
		return to
	}
	return k.Path
}

// fragment writes one named template of the list page alone.
func (l *lists) fragment(w http.ResponseWriter, r *http.Request, k *listKind, name string, v *listView) {
	var buf bytes.Buffer
	if err := l.s.r.pages[k.Page].ExecuteTemplate(&buf, name, v); err != nil {
		l.s.log(r).Error("render fragment", slog.String("fragment", name), slog.Any("err", err))
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
