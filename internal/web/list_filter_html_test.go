package web

import (
	"html/template"
	"strings"
	"testing"
)

// listFilterTemplates drew the filter builder before list_filter_html.go:
// fbGroup.HTML must write the same bytes, escaping included.
const listFilterTemplates = `{{define "list-fb-group"}}
<fieldset class="fb-group{{if .Nested}} fb-nested{{end}}">
  <legend>
    <label class="fb-inline" for="{{.Path}}.match">{{if .Nested}}Group: match{{else}}Match{{end}}</label>
    <select id="{{.Path}}.match" name="{{.Path}}.match" class="fb-match">
      <option value="all"{{if eq .Match "all"}} selected{{end}}>all of these (AND)</option>
      <option value="any"{{if eq .Match "any"}} selected{{end}}>any of these (OR)</option>
    </select>
  </legend>
  {{range .Errors}}<p class="field-error">{{.}}</p>{{end}}
  {{range .Conds}}{{template "list-fb-cond" .}}{{end}}
  {{range .Groups}}{{template "list-fb-group" .}}{{end}}
  <div class="fb-group-actions">
    <button type="submit" name="fb" value="add:{{.Path}}" class="button list-button">+ Condition</button>
    {{if .CanAddGroup}}<button type="submit" name="fb" value="group:{{.Path}}" class="button list-button">+ Group</button>{{end}}
    {{if .Nested}}<button type="submit" name="fb" value="remove:{{.Path}}" class="button list-button">Remove group</button>{{end}}
  </div>
</fieldset>
{{end}}

{{define "list-fb-cond"}}{{$c := .}}
<div class="fb-cond{{if .Errors}} fb-invalid{{end}}">
  <select name="{{.Path}}.field" aria-label="Field" data-fb-refresh-on-change{{if .Errors}} aria-describedby="{{.Path}}-error"{{end}}>
    <option value="">Choose a field…</option>
    {{.Fields.HTML}}
  </select>
  {{if .Ops}}<select name="{{.Path}}.op" aria-label="Comparison" data-fb-refresh-on-change>
    {{.Ops.HTML}}
  </select>{{else}}<input type="hidden" name="{{.Path}}.op" value="{{.Op}}">{{end}}
  {{range .Inputs}}
    {{if eq $c.Input "select"}}<select name="{{$c.Path}}.value" aria-label="{{.Label}}"{{if $c.Errors}} aria-invalid="true"{{end}}>
      {{.Options.HTML}}
    </select>
    {{else if eq $c.Input "number"}}<input type="number" step="any" name="{{$c.Path}}.value" value="{{.Value}}" aria-label="{{.Label}}">
    {{else if eq $c.Input "date"}}<input type="date" name="{{$c.Path}}.value" value="{{.Value}}" aria-label="{{.Label}}">
    {{else if eq $c.Input "days"}}<span class="fb-days"><input type="number" min="1" step="1" name="{{$c.Path}}.value" value="{{.Value}}" aria-label="Number of days"{{if $c.Errors}} aria-invalid="true"{{end}}> days</span>
    {{else if eq $c.Input "tag"}}<input type="text" list="list-tags" name="{{$c.Path}}.value" value="{{.Value}}" aria-label="Tag name"{{if $c.Errors}} aria-invalid="true"{{end}}>
    {{else}}<input type="text" name="{{$c.Path}}.value" value="{{.Value}}" aria-label="{{.Label}}"{{if $c.Errors}} aria-invalid="true"{{end}}>{{end}}
  {{end}}
  <button type="submit" name="fb" value="remove:{{.Path}}" class="fb-remove" aria-label="Remove this condition">×</button>
  {{if .Errors}}<p class="field-error" id="{{.Path}}-error">{{range $i, $m := .Errors}}{{if $i}} {{end}}{{$m}}{{end}}</p>{{end}}
</div>
{{end}}`

func TestFilterBuilderHTMLMatchesTemplate(t *testing.T) {
	tmpl := template.Must(template.New("t").Parse(listFilterTemplates))
	nasty := []string{"", "Anna Müller", `<script>alert("x")</script>`, "Tom & Jerry's +1", "a\x00b", "\xff\xfe bad",
		`"quoted"`, "日本語"}
	opts := func(i int) fbOptions {
		return fbOptions{{Value: nasty[i%len(nasty)], Label: nasty[(i+1)%len(nasty)], Selected: i%2 == 0}, {Value: "x", Label: "y"}}
	}
	var conds []fbCond
	for i, input := range []string{"select", "number", "date", "days", "tag", "text", "", "none"} {
		c := fbCond{Path: "f.c" + nasty[i%len(nasty)], Field: "name", Op: nasty[(i+2)%len(nasty)], Fields: opts(i), Input: input}
		if i%2 == 0 {
			c.Ops = opts(i + 1)
		}
		if i%3 != 2 {
			c.Inputs = []fbInput{{Label: nasty[(i+3)%len(nasty)], Value: nasty[(i+4)%len(nasty)], Options: opts(i + 2)}}
			if i%3 == 1 {
				c.Inputs = append(c.Inputs, fbInput{Label: "and", Value: "<2>", Options: opts(i + 3)})
			}
		}
		if i%2 == 1 {
			c.Errors = []string{"Choose a field.", nasty[(i+5)%len(nasty)]}
		}
		conds = append(conds, c)
	}
	nested := fbGroup{Path: "f.g0", Match: "any", Nested: true, Conds: conds[5:], Errors: []string{"<too deep>"}}
	trees := []fbGroup{
		{Path: "f", Match: "all", CanAddGroup: true},
		{Path: "f", Match: "all", CanAddGroup: true, Conds: conds[:1]},
		{Path: `f"<`, Match: "any", Conds: conds, Groups: []fbGroup{nested, {Path: "f.g1", Nested: true, Match: "all"}}, Errors: []string{"a", "b&"}},
	}
	for i, g := range trees {
		var want strings.Builder
		if err := tmpl.ExecuteTemplate(&want, "list-fb-group", g); err != nil {
			t.Fatal(err)
		}
		if got := string(g.HTML()); got != want.String() {
			t.Errorf("tree %d: filter builder differs from the template's\n got %q\nwant %q", i, got, want.String())
		}
	}
}
