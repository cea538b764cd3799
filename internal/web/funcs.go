package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/markdown"
	"github.com/rapportcrm/rapport/internal/order"
	"github.com/rapportcrm/rapport/internal/phone"
)

// templateFuncs are the functions every template may call, besides static.
// Keep them small and free of side effects.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"initial":  initial,
		"markdown": markdown.HTML,
		"phone":    phone.International,
		"stage":    contact.StageLabel,
		"date":     func(t time.Time) string { return t.Local().Format("2 Jan 2006") },
		"datetime": datetime,
		"isodate":  isodate,
		"ago":      ago,
		"plural":   plural,
		"count":    count,
		"add":      func(a, b int) int { return a + b },
		"join":     strings.Join,
		"contains": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"thousands": thousands,
		"lower":     strings.ToLower,
		// day writes a YYYY-MM-DD date (a birthday) as "10 Dec 1815".
		"day": func(s string) string {
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				return s
			}
			return t.Format("2 Jan 2006")
		},
		// statusLabel writes an order's status for people.
		"statusLabel": order.StatusLabel,
	}
}

// datetime writes t as a date and time of day in the server's zone.
func datetime(t time.Time) string { return t.Local().Format("2 Jan 2006, 15:04") }

// isodate writes t in RFC 3339 in UTC, for datetime attributes.
func isodate(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ago says how long ago t was, in the words a timeline uses.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return count(int(d.Minutes()), "minute", "minutes") + " ago"
	case d < 24*time.Hour:
		return count(int(d.Hours()), "hour", "hours") + " ago"
	case d < 30*24*time.Hour:
		return count(int(d.Hours()/24), "day", "days") + " ago"
	}
	return t.Local().Format("2 Jan 2006")
}

// count writes "1 day", "3 days".
func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, plural(n, one, many)) }

// thousands writes n with thousands separators: 1234567 → "1,234,567".
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
