package gdpr

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"time"

	"github.com/rapportcrm/rapport/internal/consent"
)

//go:embed export.html
var exportPage string

// exportStyle is the page's only style, inline so the file stands alone.
const exportStyle = `body{font:15px/1.5 system-ui,sans-serif;color:#1d2330;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid #d6dae3}
h3{font-size:1rem;margin:1rem 0 .25rem}.muted{color:#5b6474}table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #eceef3}
th{font-weight:600;width:14rem}pre{white-space:pre-wrap;word-break:break-word;margin:0;font:13px/1.4 ui-monospace,monospace}
.entry{border-bottom:1px solid #eceef3;padding:.25rem 0 .75rem}@media print{nav{display:none}}`

var exportTemplate = template.Must(template.New("export").Funcs(template.FuncMap{
	"when":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
	"channel": consent.ChannelLabel,
	"source":  consent.SourceLabel,
	"pretty": func(raw json.RawMessage) string {
		var buf bytes.Buffer
		if json.Indent(&buf, raw, "", "  ") != nil {
			return string(raw)
		}
		return buf.String()
	},
	"value": func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	},
}).Parse(exportPage))

// HTMLPolicy is the Content-Security-Policy to serve the HTML export
// with: nothing but its own inline style, no scripts, no requests.
var HTMLPolicy = func() string {
	sum := sha256.Sum256([]byte(exportStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// HTML is the export as a readable, self-contained page: no scripts, no
// links out, every value escaped.
func (x Export) HTML() ([]byte, error) {
	var buf bytes.Buffer
	err := exportTemplate.Execute(&buf, struct {
		Export
		Style template.CSS
	}{x, template.CSS(exportStyle)})
	if err != nil {
		return nil, fmt.Errorf("gdpr: export page: %w", err)
	}
	return buf.Bytes(), nil
}
