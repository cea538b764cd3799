package markdown

import (
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	tests := []struct {
		in       string
		want     []string
		notWants []string
	}{
		{"**Prefers** her latte _unsweetened_", []string{"<strong>Prefers</strong>", "<em>unsweetened</em>"}, nil},
		{"- one\n- two", []string{"<li>one</li>", "<li>two</li>"}, nil},
		{"<script>alert(1)</script>hi", []string{"hi"}, []string{"<script"}},
		{"[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"<img src=x onerror=alert(1)>", nil, []string{"onerror"}},
		{"[site](https://example.com)", []string{`href="https://example.com"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`}, nil},
	}
	for _, tt := range tests {
		got := string(HTML(tt.in))
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("HTML(%q) = %q, want it to contain %q", tt.in, got, w)
			}
		}
		for _, nw := range tt.notWants {
			if strings.Contains(got, nw) {
				t.Errorf("HTML(%q) = %q, must not contain %q", tt.in, got, nw)
			}
		}
	}
}
