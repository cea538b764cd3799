package web

import "testing"

// Browsers drop tabs and newlines from a Location before resolving it, so
// "/\t/evil.example" would leave the site as "//evil.example".
func TestSafeNextRefusesControlCharacters(t *testing.T) {
	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\\evil.example", "//evil.example"} {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", next, got)
		}
	}
	if got := safeNext("/contacts?view=1"); got != "/contacts?view=1" {
		t.Errorf("safeNext(/contacts?view=1) = %q, want it kept", got)
	}
}
