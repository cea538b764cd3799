package web

import (
	"html/template"
	"strings"
)

// The filter builder is drawn on every list page, closed or open. Its
// groups and conditions are written here in Go, byte for byte as the
// templates list_filter_html_test.go keeps did, with html/template's
// escaping (see list_rows.go).

// HTML is the group's fieldset with its conditions and nested groups.
func (g fbGroup) HTML() template.HTML {
	var b strings.Builder
	b.Grow(2048)
	g.write(&b)
	return template.HTML(b.String())
}

func (g *fbGroup) write(b *strings.Builder) {
	b.WriteString("\n<fieldset class=\"fb-group")
	if g.Nested {
		b.WriteString(" fb-nested")
	}
	b.WriteString("\">\n  <legend>\n    <label class=\"fb-inline\" for=\"")
	htmlEsc(b, g.Path)
	b.WriteString(".match\">")
	if g.Nested {
		b.WriteString("Group: match")
	} else {
		b.WriteString("Match")
	}
	b.WriteString("</label>\n    <select id=\"")
	htmlEsc(b, g.Path)
	b.WriteString(".match\" name=\"")
	htmlEsc(b, g.Path)
	b.WriteString(".match\" class=\"fb-match\">\n      <option value=\"all\"")
	if g.Match == "all" {
		b.WriteString(" selected")
	}
	b.WriteString(">all of these (AND)</option>\n      <option value=\"any\"")
	if g.Match == "any" {
		b.WriteString(" selected")
	}
	b.WriteString(">any of these (OR)</option>\n    </select>\n  </legend>\n  ")
	for _, e := range g.Errors {
		b.WriteString(`<p class="field-error">`)
		htmlEsc(b, e)
		b.WriteString("</p>")
	}
	b.WriteString("\n  ")
	for i := range g.Conds {
		g.Conds[i].write(b)
	}
	b.WriteString("\n  ")
	for i := range g.Groups {
		g.Groups[i].write(b)
	}
	b.WriteString("\n  <div class=\"fb-group-actions\">\n    <button type=\"submit\" name=\"fb\" value=\"add:")
	htmlEsc(b, g.Path)
	b.WriteString("\" class=\"button list-button\">+ Condition</button>\n    ")
	if g.CanAddGroup {
		b.WriteString(`<button type="submit" name="fb" value="group:`)
		htmlEsc(b, g.Path)
		b.WriteString(`" class="button list-button">+ Group</button>`)
	}
	b.WriteString("\n    ")
	if g.Nested {
		b.WriteString(`<button type="submit" name="fb" value="remove:`)
		htmlEsc(b, g.Path)
		b.WriteString(`" class="button list-button">Remove group</button>`)
	}
	b.WriteString("\n  </div>\n</fieldset>\n")
}

func (c *fbCond) write(b *strings.Builder) {
	invalid := len(c.Errors) > 0
	b.WriteString("\n<div class=\"fb-cond")
	if invalid {
		b.WriteString(" fb-invalid")
	}
	b.WriteString("\">\n  <select name=\"")
	htmlEsc(b, c.Path)
	b.WriteString(`.field" aria-label="Field" data-fb-refresh-on-change`)
	if invalid {
		b.WriteString(` aria-describedby="`)
		htmlEsc(b, c.Path)
		b.WriteString(`-error"`)
	}
	b.WriteString(">\n    <option value=\"\">Choose a field…</option>\n    ")
	c.Fields.write(b)
	b.WriteString("\n  </select>\n  ")
	if len(c.Ops) > 0 {
		b.WriteString(`<select name="`)
		htmlEsc(b, c.Path)
		b.WriteString(".op\" aria-label=\"Comparison\" data-fb-refresh-on-change>\n    ")
		c.Ops.write(b)
		b.WriteString("\n  </select>")
	} else {
		b.WriteString(`<input type="hidden" name="`)
		htmlEsc(b, c.Path)
		b.WriteString(`.op" value="`)
		htmlEsc(b, c.Op)
		b.WriteString(`">`)
	}
	b.WriteString("\n  ")
	for _, in := range c.Inputs {
		b.WriteString("\n    ")
		c.writeInput(b, in)
		b.WriteString("\n  ")
	}
	b.WriteString("\n  <button type=\"submit\" name=\"fb\" value=\"remove:")
	htmlEsc(b, c.Path)
	b.WriteString("\" class=\"fb-remove\" aria-label=\"Remove this condition\">×</button>\n  ")
	if invalid {
		b.WriteString(`<p class="field-error" id="`)
		htmlEsc(b, c.Path)
		b.WriteString(`-error">`)
		for i, m := range c.Errors {
			if i > 0 {
				b.WriteString(" ")
			}
			htmlEsc(b, m)
		}
		b.WriteString("</p>")
	}
	b.WriteString("\n</div>\n")
}

// writeInput writes one value input of the kind c.Input names.
func (c *fbCond) writeInput(b *strings.Builder, in fbInput) {
	// attrs writes the name, value, label and invalid mark every kind has.
	attrs := func(label string, withValue, markInvalid bool) {
		b.WriteString(`name="`)
		htmlEsc(b, c.Path)
		b.WriteString(`.value"`)
		if withValue {
			b.WriteString(` value="`)
			htmlEsc(b, in.Value)
			b.WriteString(`"`)
		}
		b.WriteString(` aria-label="`)
		htmlEsc(b, label)
		b.WriteString(`"`)
		if markInvalid && len(c.Errors) > 0 {
			b.WriteString(` aria-invalid="true"`)
		}
	}
	switch c.Input {
	case "select":
		b.WriteString(`<select `)
		attrs(in.Label, false, true)
		b.WriteString(">\n      ")
		in.Options.write(b)
		b.WriteString("\n    </select>\n    ")
	case "number", "date":
		b.WriteString(`<input type="`)
		if c.Input == "number" {
			b.WriteString(`number" step="any`)
		} else {
			b.WriteString("date")
		}
		b.WriteString(`" `)
		attrs(in.Label, true, false)
		b.WriteString(">\n    ")
	case "days":
		b.WriteString(`<span class="fb-days"><input type="number" min="1" step="1" `)
		attrs("Number of days", true, true)
		b.WriteString("> days</span>\n    ")
	case "tag":
		b.WriteString(`<input type="text" list="list-tags" `)
		attrs("Tag name", true, true)
		b.WriteString(">\n    ")
	default:
		b.WriteString(`<input type="text" `)
		attrs(in.Label, true, true)
		b.WriteString(">")
	}
}
