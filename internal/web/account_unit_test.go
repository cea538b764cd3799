package web

import "testing"

func TestBrowserName(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0": "Edge on Windows",
		"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0":                                                "Firefox on Linux",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15":    "Safari on macOS",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36":              "Chrome on Android",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0 Safari/537.36":             "Chrome on Linux",
		"curl/8.5.0":     "curl",
		"Go-http-client": "Go-http-client",
		"":               "Unknown browser",
	} {
		if got := browserName(ua); got != want {
			t.Errorf("browserName(%q) = %q, want %q", ua, got, want)
		}
	}
}

func TestMFAExempt(t *testing.T) {
	for path, want := range map[string]bool{
		"/account/security/mfa":                true,
		"/account/security/mfa/qr.png":         true,
		"/account/security/recovery-codes":     true,
		"/account/security/recovery-codes.txt": true,
		"/logout":                              true,
		"/account/security":                    false,
		"/account/security/mfax":               false,
		"/account/security/password":           false,
		"/contacts":                            false,
		"/api/v1/contacts":                     false,
		"/settings/security":                   false,
	} {
		if got := mfaExempt(path); got != want {
			t.Errorf("mfaExempt(%q) = %v, want %v", path, got, want)
		}
	}
}
