package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/revision"
	"github.com/rapportcrm/rapport/internal/tag"
)

// listView is what the contacts and companies pages show. Mode picks the
// content: the list, a bulk confirmation, a bulk progress page or a count.
type listView struct {
	page
	Kind  *listKind
	Mode  string
	State listState
	URL   string
	// Hidden carries the state in every form of the page.
	Hidden []listHiddenField

	Columns          []listHeader
	Rows             []listRow
	NextURL, PrevURL string
	FirstURL         string
	CountURL         string
	// Empty is "none" (no records at all), "nomatch" or "end" (past the
	// last page) when there are no rows.
	Empty    string
	ClearURL string
	// Problem says why the list cannot be shown; Problems are the details.
	Problem  string
	Problems []string

	Builder     fbGroup
	FilterOpen  bool
	FilterCount int
	Chooser     listChoices
	ColumnsOpen bool

	Views      []listViewItem
	Current    *listViewItem
	ViewsOpen  bool
	ViewName   string
	ViewShared bool
	ViewErrors *apperr.Validation

	CanBulk   bool
	CanCreate bool
	Owners    fbOptions
	// TagList is the datalist of tag names the filter and bulk form offer.
	TagList template.HTML

	Bulk *listBulkPage

	// exportQuery is the export links' query, without columns (ExportURL).
	exportQuery url.Values
	exportRead  bool
}

// HiddenValue returns the value of the hidden field name, "" if none.
func (v *listView) HiddenValue(name string) string {
	for _, h := range v.Hidden {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

type listHiddenField struct{ Name, Value string }

// listHeader is a column header with its sort link.
type listHeader struct {
	listColumn
	SortURL  string
	AriaSort string
}

// listChoice is one column of the column chooser.
type listChoice struct {
	Key, Label  string
	Checked     bool
	First, Last bool
}

// listChoices are the column chooser's items.
type listChoices []listChoice

// HTML writes the chooser's items as the "list-columns" template drew
// them with html/template (list_rows_test.go compares the two), which cost
// an escaper call per value on every list page.
func (cs listChoices) HTML() template.HTML {
	var b strings.Builder
	b.Grow(len(cs) * 400)
	for _, c := range cs {
		b.WriteString("\n        <li")
		if c.Checked {
			b.WriteString(` class="cc-on"`)
		}
		b.WriteString(">\n          <label class=\"cc-check\"><input type=\"checkbox\" name=\"col\" value=\"")
		htmlEsc(&b, c.Key)
		b.WriteString(`"`)
		if c.Checked {
			b.WriteString(" checked")
		}
		b.WriteString("> ")
		htmlEsc(&b, c.Label)
		b.WriteString("</label>\n          ")
		if c.Checked {
			for _, m := range []struct {
				dir, arrow string
				off        bool
			}{{"up", "↑", c.First}, {"down", "↓", c.Last}} {
				if m.dir == "up" {
					b.WriteString("<span class=\"cc-move\">\n            ")
				} else {
					b.WriteString("\n            ")
				}
				b.WriteString(`<button type="submit" name="cc" value="` + m.dir + ":")
				htmlEsc(&b, c.Key)
				b.WriteString(`" aria-label="Move `)
				htmlEsc(&b, c.Label)
				b.WriteString(" " + m.dir + `"`)
				if m.off {
					b.WriteString(" disabled")
				}
				b.WriteString(">" + m.arrow + "</button>")
			}
			b.WriteString("\n          </span>")
		}
		b.WriteString("\n        </li>\n      ")
	}
	return template.HTML(b.String())
}

// listViewItem is a saved view in the views menu.
type listViewItem struct {
	ID, Name, URL string
	Shared, Mine  bool
	Current       bool
}

// listShowOpts are what a list request asks besides its state.
type listShowOpts struct {
	parseErr    error
	draft       *query.Group // the builder shows this draft instead of the filter
	columnsOpen bool
	pushURL     string // for htmx: the address to put in the history
	viewErrors  *apperr.Validation
	viewName    string
	viewShared  bool
}

// list serves GET /contacts and GET /companies.
func (l *lists) list(w http.ResponseWriter, r *http.Request, k *listKind) {
	schema, err := k.schema(r.Context())
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	st, perr := readListState(q, schema, k)
	if st.View != "" && len(q) == 1 {
		l.openView(w, r, k, st.View)
		return
	}
	if act := q.Get(listParamBuilder); act != "" {
		draft := fbReadDraft(q)
		switch act {
		case "apply", "clear":
			st.Filter, st.Cursor = fbPrune(draft), ""
			if act == "clear" {
				st.Filter = query.Group{}
			}
			l.goTo(w, r, k, schema, st)
			return
		case "refresh":
			fbFitOps(&draft, schema)
		default:
			fbApplyAction(&draft, act)
		}
		l.show(w, r, k, schema, st, listShowOpts{parseErr: perr, draft: &draft, pushURL: "false"})
		return
	}
	if act := q.Get(listParamChooser); act != "" {
		all := listAvailableColumns(schema)
		cols := listKnownCols(q["col"], all)
		switch {
		case act == "reset":
			cols = listKnownCols(k.defaults, all)
		case strings.HasPrefix(act, "up:"):
			cols = listMoveCol(cols, strings.TrimPrefix(act, "up:"), -1)
		case strings.HasPrefix(act, "down:"):
			cols = listMoveCol(cols, strings.TrimPrefix(act, "down:"), 1)
		}
		if len(cols) == 0 {
			cols = listKnownCols(k.defaults, all)
		}
		st.Cols, st.Cursor = cols, ""
		if act == "apply" || act == "reset" {
			l.goTo(w, r, k, schema, st)
			return
		}
		l.show(w, r, k, schema, st, listShowOpts{columnsOpen: true, pushURL: st.url(k)})
		return
	}
	l.show(w, r, k, schema, st, listShowOpts{parseErr: perr})
}

// goTo shows the list at state st: a redirect to its address, or for htmx
// the page itself with the address pushed into the history.
func (l *lists) goTo(w http.ResponseWriter, r *http.Request, k *listKind, schema *query.Schema, st listState) {
	if listHX(r) {
		l.show(w, r, k, schema, st, listShowOpts{pushURL: st.url(k)})
		return
	}
	http.Redirect(w, r, st.url(k), http.StatusSeeOther)
}

// show runs the list for st and renders the page.
func (l *lists) show(w http.ResponseWriter, r *http.Request, k *listKind, schema *query.Schema, st listState, o listShowOpts) {
	ctx := r.Context()
	all := listAvailableColumns(schema)
	cols := listColumnsByKey(all, st.Cols)
	defs, err := l.s.fields.List(ctx, k.Object)
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	users, err := l.userNames(r)
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	v := &listView{page: l.s.page(r, k.Title), Kind: k, Mode: "list", State: st, URL: st.url(k),
		ColumnsOpen: o.columnsOpen, ViewErrors: o.viewErrors, ViewName: o.viewName, ViewShared: o.viewShared,
		ViewsOpen: o.viewErrors != nil}
	verr := apperr.AsValidation(o.parseErr)
	sort := st.Sort
	if o.parseErr == nil {
		rows, err := k.fetch(ctx, st.request(), cols, newListCellFormat(defs))
		if verr = apperr.AsValidation(err); verr == nil && err != nil {
			l.s.fail(w, r, err)
			return
		}
		v.Rows, sort = rows.Rows, rows.Sort
		if rows.Cursors.Next != "" {
			v.NextURL = st.with(func(s *listState) { s.Cursor = rows.Cursors.Next }).url(k)
		}
		if rows.Cursors.Prev != "" {
			v.PrevURL = st.with(func(s *listState) { s.Cursor = rows.Cursors.Prev }).url(k)
		}
	} else if verr == nil {
		l.s.fail(w, r, o.parseErr)
		return
	}
	if sort.Field == "" {
		sort = schema.DefaultSort()
	}
	status := http.StatusOK
	if verr != nil {
		status = http.StatusUnprocessableEntity
		v.Problem = "This list cannot be shown as asked. Fix what is marked below, or start again."
		v.Problems = listProblems(verr, st.Filter, schema)
		v.FilterOpen = true
	}
	if o.viewErrors != nil {
		status = http.StatusUnprocessableEntity
	}
	if st.Cursor != "" {
		v.FirstURL = st.firstPage().url(k)
	}
	switch {
	case verr != nil || len(v.Rows) > 0:
	case st.Cursor != "":
		v.Empty = "end"
	case st.Filter.IsZero():
		v.Empty = "none"
	default:
		v.Empty = "nomatch"
	}
	v.ClearURL = st.with(func(s *listState) { s.Filter, s.Cursor = query.Group{}, "" }).url(k)
	v.CountURL = listCountURL(k, st.Filter, false)
	v.FilterCount = listConditionCount(st.Filter)
	if o.draft != nil {
		v.Builder, v.FilterOpen = fbTree(*o.draft, schema, nil, users), true
	} else {
		v.Builder = fbTree(st.Filter, schema, verr, users)
	}
	v.Columns = listHeaders(k, st, cols, sort)
	v.Chooser = listChooser(all, st.Cols)
	v.Hidden = listHiddenState(st)
	if err := l.fillMenus(r, k, v, users); err != nil {
		l.s.fail(w, r, err)
		return
	}
	if o.pushURL != "" {
		w.Header().Set("HX-Push-Url", o.pushURL)
	}
	l.render(w, r, status, k, v)
}

// fillMenus loads the saved views, owners and tags the page offers.
func (l *lists) fillMenus(r *http.Request, k *listKind, v *listView, users map[string]string) error {
	ctx := r.Context()
	actor, _ := access.ActorFrom(ctx)
	views, err := l.s.views.List(ctx, k.Object)
	if err != nil {
		return err
	}
	for _, x := range views {
		item := listViewItem{ID: x.ID, Name: x.Name, URL: k.Path + "?" + listParamView + "=" + url.QueryEscape(x.ID),
			Shared: x.Shared, Mine: x.OwnerID == actor.UserID, Current: x.ID == v.State.View}
		v.Views = append(v.Views, item)
		if item.Current {
			v.Current = &item
		}
	}
	if v.State.View != "" && v.Current == nil {
		// The view is gone or not this user's: the state stands on its own.
		v.State.View = ""
		v.Hidden = listHiddenState(v.State)
	}
	if v.ViewName == "" && v.Current != nil {
		v.ViewName, v.ViewShared = v.Current.Name, v.Current.Shared
	}
	v.CanBulk = !k.listOnly && access.Allowed(actor, k.perm, access.Update)
	v.CanCreate = access.Allowed(actor, k.perm, access.Create)
	if v.CanBulk {
		for id, name := range users {
			v.Owners = append(v.Owners, fbOption{Value: id, Label: name})
		}
		slices.SortFunc(v.Owners, func(a, b fbOption) int { return strings.Compare(a.Label, b.Label) })
	}
	// Tag names for the tag inputs of the filter and the bulk form.
	v.TagList, err = l.tagList.Get(ctx, l.s.db.R, revision.Tags, func() (template.HTML, error) {
		names, err := tag.Names(ctx, l.s.db.R, "", 200)
		return tagDatalist(names), err
	})
	return err
}

// tagDatalist draws the datalist "list-tags" of names.
func tagDatalist(names []string) template.HTML {
	var b strings.Builder
	b.WriteString(`<datalist id="list-tags">`)
	for _, n := range names {
		b.WriteString(`<option value="`)
		htmlEsc(&b, n)
		b.WriteString(`"></option>`)
	}
	b.WriteString(`</datalist>`)
	return template.HTML(b.String())
}

// userNames maps the active users' ids to their names.
func (l *lists) userNames(r *http.Request) (map[string]string, error) {
	list, err := l.s.users.List(r.Context())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(list))
	for _, u := range list {
		if u.DisabledAt.IsZero() {
			out[u.ID] = u.Name
		}
	}
	return out, nil
}

// render writes the page; htmx's history restore after a cache miss asks
// with HX-Request but swaps the whole body, so it gets the whole page.
func (l *lists) render(w http.ResponseWriter, r *http.Request, status int, k *listKind, v *listView) {
	if r.Header.Get("HX-History-Restore-Request") == "true" {
		r.Header.Del("HX-Request")
	}
	l.s.render(w, r, status, k.Page, v)
}

// listHX reports whether r is an htmx request that wants the content only.
func listHX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true" &&
		r.Header.Get("HX-History-Restore-Request") != "true"
}
