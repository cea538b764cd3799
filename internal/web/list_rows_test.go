package web

import (
	"html/template"
	"strings"
	"testing"
	"time"
)

// listRowsTemplate is the template the rows were drawn with before
// list_rows.go: RowsHTML must write the same bytes, escaping included.
const listRowsTemplate = `{{define "rows"}}{{range .Rows}}<tr>
    {{if $.CanBulk}}<td class="list-check"><input type="checkbox" name="id" value="{{.ID}}" form="list-bulk" aria-label="Select {{.Name}}" data-row-check></td>{{end}}
    {{range .Cells}}<td data-label="{{.Label}}">{{template "list-cell" .}}</td>{{end}}
  </tr>{{end}}{{end}}
{{define "page-ids"}}<form>{{range .Rows}}<input type="hidden" name="page_id" value="{{.ID}}">{{end}}</form>{{end}}
{{define "list-cell"}}{{if eq .Kind "name"}}<a class="list-name" href="{{.Link}}">{{if .Text}}{{.Text}}{{else}}(no name){{end}}</a>{{else if eq .Kind "link"}}<a href="{{.Link}}">{{.Text}}</a>{{else if eq .Kind "mail"}}{{if .Text}}<a href="mailto:{{.Text}}">{{.Text}}</a>{{end}}{{else if eq .Kind "tags"}}{{range .Tags}}<span class="list-tag">{{.}}</span> {{end}}{{else if eq .Kind "time"}}<time datetime="{{isodate .Time}}" title="{{datetime .Time}}">{{ago .Time}}</time>{{else}}{{.Text}}{{end}}{{end}}`

func TestRowsHTMLMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Funcs(templateFuncs()).Parse(listRowsTemplate))
	nasty := []string{"", "Anna Müller", `<script>alert("x")</script>`, "Tom & Jerry's +1", "a\x00b", "\xff\xfe bad utf-8",
		"日本語 株式会社", "50% off %zz %4a", "\ufdd0\ufffe", "with space\tand tab\nnewline"}
	links := []string{"/contacts/019c7ba0-3980-7961-8ae1-6e2a384b4e48", "javascript:alert(1)", "JavaScript:x", "https://example.com/a b?q=1&r=2",
		"mailto:x@y", "/a/b:c", "ftp://x", "/x/%41%zz/ü\"'<>", "data:text/html,hi"}
	now := time.Now()
	times := []time.Time{{}, now, now.Add(-90 * time.Minute), now.Add(-50 * 24 * time.Hour), now.Add(time.Hour)}
	var rows []listRow
	for i, s := range nasty {
		link := links[i%len(links)]
		rows = append(rows, listRow{ID: s + "-id", Name: s, Cells: []listCell{
			{Label: "Name", Kind: "name", Text: s, Link: link},
			{Label: s, Kind: "link", Text: s, Link: links[(i+3)%len(links)]},
			{Label: "Email", Kind: "mail", Text: s},
			{Label: "Email", Kind: "mail", Text: "a+b@" + s + ".example?subject=x y&z"},
			{Label: "Tags", Kind: "tags", Tags: []string{s, "VIP", "<b>"}},
			{Label: "Tags", Kind: "tags"},
			{Label: "Updated", Kind: "time", Time: times[i%len(times)]},
			{Label: "Phone", Text: "+49 30 " + s},
			{Label: "Company", Kind: "link", Text: s, Link: link},
		}})
	}
	for _, bulk := range []bool{true, false} {
		for _, rs := range [][]listRow{rows, nil} {
			v := &listView{Rows: rs, CanBulk: bulk}
			var want strings.Builder
			if err := tmpl.ExecuteTemplate(&want, "rows", v); err != nil {
				t.Fatal(err)
			}
			if got := string(v.RowsHTML()); got != want.String() {
				t.Errorf("bulk %v, %d rows: RowsHTML differs from the template\n got: %q\nwant: %q", bulk, len(rs), got, want.String())
			}
			want.Reset()
			if err := tmpl.ExecuteTemplate(&want, "page-ids", v); err != nil {
				t.Fatal(err)
			}
			if got := "<form>" + string(v.PageIDsHTML()) + "</form>"; got != want.String() {
				t.Errorf("%d rows: PageIDsHTML differs from the template\n got: %q\nwant: %q", len(rs), got, want.String())
			}
		}
	}
}

func TestOptionsHTMLMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(
		`<select>{{range .}}<option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>{{end}}</select>`))
	nasty := []string{"", "Anna Müller", `<script>alert("x")</script>`, "Tom & Jerry's +1", "a\x00b", "\xff\xfe bad utf-8",
		"日本語", "50% off", `"quoted" 'single'`, "\ufdd0\ufffe", "tab\tnewline\n"}
	var opts fbOptions
	for i, s := range nasty {
		opts = append(opts, fbOption{Value: s, Label: nasty[(i+1)%len(nasty)], Selected: i%3 == 0})
	}
	var want strings.Builder
	if err := tmpl.Execute(&want, opts); err != nil {
		t.Fatal(err)
	}
	if got := "<select>" + string(opts.HTML()) + "</select>"; got != want.String() {
		t.Errorf("options differ from the template's:\n got %q\nwant %q", got, want.String())
	}
	if got := fbOptions(nil).HTML(); got != "" {
		t.Errorf("no options gave %q", got)
	}
}

func TestHeadersHTMLMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(`{{range .Columns}}<th scope="col"{{with .AriaSort}} aria-sort="{{.}}"{{end}}>{{if .SortURL}}<a href="{{.SortURL}}" hx-get="{{.SortURL}}" hx-push-url="true">{{.Label}}<span class="list-sort" aria-hidden="true">{{if eq .AriaSort "ascending"}} ▲{{else if eq .AriaSort "descending"}} ▼{{end}}</span></a>{{else}}{{.Label}}{{end}}</th>{{end}}`))
	nasty := []string{"Name", "Anna Müller", `<script>alert("x")</script>`, "Tom & Jerry's +1", "a\x00b", "\xff\xfe bad", `"quoted"`}
	urls := []string{"/contacts?sort=name", "", "javascript:alert(1)", "/contacts?f=%7B%22a%22%3A1%7D&sort=-name&cols=name~email",
		"/x/%41%zz/ü\"'<>", "https://example.com/a b?q=1&r=2", "data:text/html,hi"}
	sorts := []string{"", "ascending", "descending", `"x"`}
	var v listView
	for i, s := range nasty {
		v.Columns = append(v.Columns, listHeader{listColumn: listColumn{Label: s}, SortURL: urls[i%len(urls)], AriaSort: sorts[i%len(sorts)]})
	}
	for _, cols := range [][]listHeader{v.Columns, v.Columns[:1], nil} {
		v := listView{Columns: cols}
		var want strings.Builder
		if err := tmpl.Execute(&want, v); err != nil {
			t.Fatal(err)
		}
		if got := string(v.HeadersHTML()); got != want.String() {
			t.Errorf("%d columns: headers differ from the template's\n got %q\nwant %q", len(cols), got, want.String())
		}
	}
}

func TestHiddenHTMLMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(`{{$x := .Except}}{{range .V.Hidden}}{{if ne .Name $x}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">{{end}}{{end}}`))
	v := &listView{Hidden: []listHiddenField{{"filter", `{"all":[{"field":"name","op":"contains","value":"<b>&'\"+"}]}`},
		{"sort", "-updated_at"}, {"cols", "name~email~cf.plan"}, {"view", "019c7ba0-3980-7961-8ae1-6e2a384b4e48"}, {"q", "a\x00b \xff\xfe 日本"}}}
	for _, except := range []string{"", "cols", "view", "none"} {
		var want strings.Builder
		if err := tmpl.Execute(&want, struct {
			V      *listView
			Except string
		}{v, except}); err != nil {
			t.Fatal(err)
		}
		if got := string(v.HiddenHTML(except)); got != want.String() {
			t.Errorf("except %q: hidden inputs differ from the template's\n got %q\nwant %q", except, got, want.String())
		}
	}
}

func TestTagDatalistMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(
		`<datalist id="list-tags">{{range .}}<option value="{{.}}"></option>{{end}}</datalist>`))
	for _, names := range [][]string{nil, {"vip"}, {"", "Anna Müller", `<script>alert("x")</script>`, "Tom & Jerry's +1",
		"a\x00b", "\xff\xfe bad utf-8", "日本語", `"quoted" 'single'`, "\ufdd0\ufffe", "tab\tnewline\n"}} {
		var want strings.Builder
		if err := tmpl.Execute(&want, names); err != nil {
			t.Fatal(err)
		}
		if got := string(tagDatalist(names)); got != want.String() {
			t.Errorf("%d names: datalist differs from the template's:\n got %q\nwant %q", len(names), got, want.String())
		}
	}
}

func TestChooserHTMLMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(`<ol class="cc-list">
      {{range .Chooser}}
        <li{{if .Checked}} class="cc-on"{{end}}>
          <label class="cc-check"><input type="checkbox" name="col" value="{{.Key}}"{{if .Checked}} checked{{end}}> {{.Label}}</label>
          {{if .Checked}}<span class="cc-move">
            <button type="submit" name="cc" value="up:{{.Key}}" aria-label="Move {{.Label}} up"{{if .First}} disabled{{end}}>↑</button>
            <button type="submit" name="cc" value="down:{{.Key}}" aria-label="Move {{.Label}} down"{{if .Last}} disabled{{end}}>↓</button>
          </span>{{end}}
        </li>
      {{end}}
      </ol>`))
	nasty := []string{"name", "Anna Müller", `<script>alert("x")</script>`, "Tom & Jerry's +1", "a\x00b", "\xff\xfe bad",
		"cf.plan", `"quoted"`}
	var cs listChoices
	for i, s := range nasty {
		cs = append(cs, listChoice{Key: s, Label: nasty[(i+2)%len(nasty)], Checked: i < 5, First: i == 0, Last: i == 4})
	}
	for _, list := range []listChoices{cs, cs[:1], nil} {
		var want strings.Builder
		if err := tmpl.Execute(&want, struct{ Chooser listChoices }{list}); err != nil {
			t.Fatal(err)
		}
		got := "<ol class=\"cc-list\">\n      " + string(list.HTML()) + "\n      </ol>"
		if got != want.String() {
			t.Errorf("%d items: chooser differs from the template's\n got %q\nwant %q", len(list), got, want.String())
		}
	}
}
