package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/view"
)

// saveView serves POST /views: it saves the posted list state under a
// name, as a new view or (with view_id) over one of the user's own views.
// The form's own fields are not field keys, which query would read as
// filter shorthands.
func (l *lists) saveView(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		l.s.errorPage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return
	}
	k := l.kindOf(r.PostFormValue("object"))
	schema, err := k.schema(r.Context())
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	st, perr := readListState(r.PostForm, schema, k)
	st.Cursor, st.View = "", ""
	vw := view.View{ID: strings.TrimSpace(r.PostFormValue("view_id")), Object: k.Object,
		Name: r.PostFormValue("view_name"), Shared: r.PostFormValue("shared") != "",
		Definition: view.Definition{Filter: st.Filter, Sort: st.Sort, Columns: st.Cols}}
	if perr != nil {
		l.show(w, r, k, schema, st, listShowOpts{parseErr: perr})
		return
	}
	saved, err := l.s.views.Save(r.Context(), schema, vw)
	if v := apperr.AsValidation(err); v != nil {
		st.View = vw.ID
		l.show(w, r, k, schema, st, listShowOpts{viewErrors: v, viewName: vw.Name, viewShared: vw.Shared})
		return
	}
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	st.View = saved.ID
	verb := "Saved"
	if vw.ID != "" {
		verb = "Updated"
	}
	l.s.sessions.Put(r.Context(), "flash", fmt.Sprintf("%s the view “%s”.", verb, saved.Name))
	http.Redirect(w, r, st.url(k), http.StatusSeeOther)
}

// deleteView serves POST /views/{id}/delete; only the view's owner may.
func (l *lists) deleteView(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	vw, err := l.s.views.ByID(ctx, r.PathValue("id"))
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	if err := l.s.views.Delete(ctx, vw.ID); err != nil {
		l.s.fail(w, r, err)
		return
	}
	k := l.kindOf(vw.Object)
	l.s.sessions.Put(ctx, "flash", fmt.Sprintf("Deleted the view “%s”.", vw.Name))
	http.Redirect(w, r, k.Path, http.StatusSeeOther)
}

// openView sends ?view=ID to the view's whole state, so the address holds
// everything and the view can change later without breaking the link.
func (l *lists) openView(w http.ResponseWriter, r *http.Request, k *listKind, id string) {
	vw, err := l.s.views.ByID(r.Context(), id)
	if err == nil && vw.Object != k.Object {
		err = fmt.Errorf("view %s: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	schema, err := k.schema(r.Context())
	if err != nil {
		l.s.fail(w, r, err)
		return
	}
	st := listStateOfView(vw, schema, k)
	l.goTo(w, r, k, schema, st)
}

func listStateOfView(vw view.View, schema *query.Schema, k *listKind) listState {
	all := listAvailableColumns(schema)
	cols := listKnownCols(vw.Definition.Columns, all)
	if len(cols) == 0 {
		cols = listKnownCols(k.defaults, all)
	}
	return listState{Filter: vw.Definition.Filter, Sort: vw.Definition.Sort, Cols: cols, View: vw.ID}
}
