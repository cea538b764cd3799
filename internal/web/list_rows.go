package web

import (
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"
)

// The rows of a list are most of its page: 50 rows of up to a dozen cells
// each. html/template spends reflection, an escaper call per value and an
// "eq" chain per cell on them, which made the table cost several times the
// query. listRowsHTML writes exactly what the "list-table" template wrote
// for the rows (list_rows_test.go renders both and compares them), with the
// same escaping html/template applies in each context: text and quoted
// attributes (htmlEsc), URLs at the start of an attribute (urlFilter, then
// normalised and escaped) and URLs after a fixed prefix such as "mailto:"
// (normalised and escaped).

// RowsHTML is the table body's rows.
func (v *listView) RowsHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(v.Rows) * 900)
	for _, r := range v.Rows {
		b.WriteString("<tr>\n    ")
		if v.CanBulk {
			b.WriteString(`<td class="list-check"><input type="checkbox" name="id" value="`)
			htmlEsc(&b, r.ID)
			b.WriteString(`" form="list-bulk" aria-label="Select `)
			htmlEsc(&b, r.Name)
			b.WriteString(`" data-row-check></td>`)
		}
		b.WriteString("\n    ")
		for _, c := range r.Cells {
			b.WriteString(`<td data-label="`)
			htmlEsc(&b, c.Label)
			b.WriteString(`">`)
			c.writeHTML(&b)
			b.WriteString("</td>")
		}
		b.WriteString("\n  </tr>")
	}
	return template.HTML(b.String())
}

// HeadersHTML is the table's column headers with their sort links.
func (v *listView) HeadersHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(v.Columns) * 200)
	for _, c := range v.Columns {
		b.WriteString(`<th scope="col"`)
		if c.AriaSort != "" {
			b.WriteString(` aria-sort="`)
			htmlEsc(&b, c.AriaSort)
			b.WriteString(`"`)
		}
		b.WriteString(">")
		if c.SortURL == "" {
			htmlEsc(&b, c.Label)
			b.WriteString("</th>")
			continue
		}
		b.WriteString(`<a href="`)
		urlAttr(&b, c.SortURL, true)
		b.WriteString(`" hx-get="`)
		htmlEsc(&b, c.SortURL)
		b.WriteString(`" hx-push-url="true">`)
		htmlEsc(&b, c.Label)
		b.WriteString(`<span class="list-sort" aria-hidden="true">`)
		switch c.AriaSort {
		case "ascending":
			b.WriteString(" ▲")
		case "descending":
			b.WriteString(" ▼")
		}
		b.WriteString("</span></a></th>")
	}
	return template.HTML(b.String())
}

// HiddenHTML is a hidden input for each of the page's state fields but the
// one named except, for the forms that change the rest of the state.
func (v *listView) HiddenHTML(except string) template.HTML {
	var b strings.Builder
	for _, h := range v.Hidden {
		if h.Name == except {
			continue
		}
		b.WriteString(`<input type="hidden" name="`)
		htmlEsc(&b, h.Name)
		b.WriteString(`" value="`)
		htmlEsc(&b, h.Value)
		b.WriteString(`">`)
	}
	return template.HTML(b.String())
}

// PageIDsHTML is the bulk form's hidden page_id input for each row, as
// {{range .Rows}}<input type="hidden" name="page_id" value="{{.ID}}">{{end}}
// wrote them.
func (v *listView) PageIDsHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(v.Rows) * 80)
	for _, r := range v.Rows {
		b.WriteString(`<input type="hidden" name="page_id" value="`)
		htmlEsc(&b, r.ID)
		b.WriteString(`">`)
	}
	return template.HTML(b.String())
}

// writeHTML writes the cell's content as the "list-cell" template did.
func (c *listCell) writeHTML(b *strings.Builder) {
	switch c.Kind {
	case "name":
		b.WriteString(`<a class="list-name" href="`)
		urlAttr(b, c.Link, true)
		b.WriteString(`">`)
		if c.Text != "" {
			htmlEsc(b, c.Text)
		} else {
			b.WriteString("(no name)")
		}
		b.WriteString("</a>")
	case "link":
		b.WriteString(`<a href="`)
		urlAttr(b, c.Link, true)
		b.WriteString(`">`)
		htmlEsc(b, c.Text)
		b.WriteString("</a>")
	case "mail":
		if c.Text != "" {
			b.WriteString(`<a href="mailto:`)
			urlAttr(b, c.Text, false)
			b.WriteString(`">`)
			htmlEsc(b, c.Text)
			b.WriteString("</a>")
		}
	case "tags":
		for _, t := range c.Tags {
			b.WriteString(`<span class="list-tag">`)
			htmlEsc(b, t)
			b.WriteString("</span> ")
		}
	case "time":
		b.WriteString(`<time datetime="`)
		htmlEsc(b, isodate(c.Time))
		b.WriteString(`" title="`)
		htmlEsc(b, datetime(c.Time))
		b.WriteString(`">`)
		htmlEsc(b, ago(c.Time))
		b.WriteString("</time>")
	default:
		htmlEsc(b, c.Text)
	}
}

// htmlEsc writes s escaped for a text node or a quoted attribute, as
// html/template's htmlEscaper and attrEscaper do.
func htmlEsc(b *strings.Builder, s string) {
	written := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Multi-byte runes (and invalid bytes) pass through unchanged.
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
			continue
		}
		var repl string
		switch c {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			i++
			continue
		}
		b.WriteString(s[written:i])
		b.WriteString(repl)
		i++
		written = i
	}
	b.WriteString(s[written:])
}

// urlAttr writes s as a URL inside a double-quoted attribute. At the start
// of the attribute (start true) an unsafe scheme becomes "#ZgotmplZ", as
// html/template's urlFilter does; then the URL is normalised
// (urlNormalizer) and escaped for the attribute (attrEscaper).
func urlAttr(b *strings.Builder, s string, start bool) {
	if start && !safeURL(s) {
		b.WriteString("#ZgotmplZ")
		return
	}
	var n strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~", c) >= 0:
			continue
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			continue
		}
		n.WriteString(s[written:i])
		fmt.Fprintf(&n, "%%%02x", c)
		written = i + 1
	}
	if written == 0 {
		htmlEsc(b, s)
		return
	}
	n.WriteString(s[written:])
	htmlEsc(b, n.String())
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// safeURL reports whether s has no scheme or http, https or mailto.
func safeURL(s string) bool {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
	}
	return true
}
