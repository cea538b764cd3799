// Package web embeds the HTML templates and static files (CSS, JavaScript,
// vendored libraries) into the binary.
package web

import "embed"

// Templates holds templates/layout.html, partials/*.html and pages/*.html.
//
//go:embed templates
var Templates embed.FS

// Static holds everything served under /static/.
//
//go:embed static
var Static embed.FS
