package web

import (
	"html/template"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

// listPanelTemplates drew the bulk form, the export panel and the pager
// before list_panels_html.go: its methods must write the same bytes.
const listPanelTemplates = `{{define "list-bulk-form"}}
<form id="list-bulk" class="list-bulk" method="post" action="{{.Kind.Path}}/bulk" data-bulk-form>
  <input type="hidden" name="filter" value="{{.HiddenValue "filter"}}">
  <input type="hidden" name="back" value="{{.URL}}">
  {{.PageIDsHTML}}
  <fieldset class="lb-scope">
    <legend>Change</legend>
    <label><input type="radio" name="scope" value="selected" checked data-scope-selected> the {{.Kind.Many}} I select below <span data-selected-count></span></label>
    <label><input type="radio" name="scope" value="page" data-scope-page> all {{len .Rows}} on this page</label>
    <label><input type="radio" name="scope" value="all" data-scope-all> <span data-all-label>all {{.Kind.Many}}{{if .FilterCount}} matching the filter{{end}}</span></label>
  </fieldset>
  <div class="lb-fields">
    <span class="lb-field"><label for="bulk-action">Action</label>
    <select id="bulk-action" name="action" data-bulk-action>
      <option value="tag">Add a tag</option>
      <option value="untag">Remove a tag</option>
      <option value="owner">Change the owner</option>
      <option value="delete">Delete</option>
    </select></span>
    <span class="lb-field" data-bulk-for="tag untag"><label for="bulk-tag">Tag</label>
    <input id="bulk-tag" name="bulk_tag" list="list-tags" maxlength="50"></span>
    <span class="lb-field" data-bulk-for="owner"><label for="bulk-owner">New owner</label>
    <select id="bulk-owner" name="bulk_owner">
      <option value="">No owner</option>
      {{.Owners.HTML}}
    </select></span>
    <button type="submit" class="button list-button primary-compact">Apply</button>
  </div>
  <p class="lb-all" data-select-all-banner hidden>All {{len .Rows}} on this page are selected.
    <button type="button" class="linkish" data-choose-all>Select all {{.Kind.Many}}{{if .FilterCount}} matching the filter{{end}}</button></p>
</form>
{{end}}
{{define "list-export"}}{{if .CanExport}}
<details class="list-panel list-export">
  <summary>Export</summary>
  <div class="list-panel-body">
    <p class="muted small">Every {{.Kind.One}} this list matches, with its columns and order.</p>
    <ul class="lv-list">
      <li><a href="{{.ExportURL "csv" false}}" download>CSV</a></li>
      <li><a href="{{.ExportURL "csv" true}}" download>CSV for Excel</a></li>
      {{if eq .Kind.Object "contact"}}<li><a href="{{.ExportURL "vcf" false}}" download>vCard (phones, address books)</a></li>{{end}}
    </ul>
  </div>
</details>
{{end}}{{end}}
{{define "list-pager"}}
{{if or .PrevURL .NextURL .FirstURL}}
<nav class="list-pager" aria-label="Pages">
  {{with .FirstURL}}<a href="{{.}}" hx-get="{{.}}" hx-push-url="true">First page</a>{{end}}
  {{with .PrevURL}}<a rel="prev" href="{{.}}" hx-get="{{.}}" hx-push-url="true">← Previous</a>{{end}}
  {{with .NextURL}}<a rel="next" href="{{.}}" hx-get="{{.}}" hx-push-url="true">Next →</a>{{end}}
</nav>
{{end}}
{{end}}`

func TestListPanelsHTMLMatchTemplates(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(listPanelTemplates))
	owner := &user.User{ID: "u1", Name: "Olga", Access: access.Role{Name: "owner", Scope: access.ScopeAll, Builtin: true}}
	reader := &user.User{ID: "u2", Name: "Rita", Access: access.Role{Name: "reader", Scope: access.ScopeAll, Perms: access.Perms{}}}
	contacts := &listKind{Object: "contact", Path: "/contacts", Many: "contacts", One: "contact", perm: access.Contacts}
	nasty := &listKind{Object: "company", Path: `/com"panies<&>`, Many: `<b>"many"</b>`, One: "a & b", perm: access.Companies}
	filter := query.Group{Conditions: []query.Condition{{Field: "name", Op: query.Contains, Value: `<"&'+>`}}}
	views := []*listView{
		{Kind: contacts, page: page{User: owner}, URL: "/contacts?sort=name", State: listState{Sort: query.Sort{Field: "name"}}},
		{Kind: contacts, page: page{User: owner}, URL: `/contacts?f=x&"y"`, FilterCount: 2,
			State:    listState{Filter: filter, Cols: []string{"name", "email"}, Cursor: "abc"},
			Hidden:   []listHiddenField{{"filter", `{"all":[1]}<>`}, {"sort", "-name"}},
			Rows:     []listRow{{ID: "r1"}, {ID: `r"2`}},
			Owners:   fbOptions{{Value: "u1", Label: "Olga <o>"}, {Value: "u2", Label: "Rita", Selected: true}},
			FirstURL: "/contacts?f=1", NextURL: "/contacts?cursor=a&b", PrevURL: "javascript:alert(1)"},
		{Kind: nasty, page: page{User: owner}, URL: "/x", FilterCount: 1, Rows: []listRow{{ID: "x"}}, NextURL: "/n\"ext"},
		{Kind: contacts, page: page{User: reader}, PrevURL: "/p"},
		{Kind: contacts},
	}
	for i, v := range views {
		for _, c := range []struct {
			block string
			got   func() template.HTML
		}{{"list-bulk-form", v.BulkFormHTML}, {"list-export", v.ExportHTML}, {"list-pager", v.PagerHTML}} {
			var want strings.Builder
			if err := tmpl.ExecuteTemplate(&want, c.block, v); err != nil {
				t.Fatal(err)
			}
			if got := string(c.got()); got != want.String() {
				t.Errorf("view %d, %s differs from the template's\n got %q\nwant %q", i, c.block, got, want.String())
			}
		}
	}
}
