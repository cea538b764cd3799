package task

import (
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

func TestNextDue(t *testing.T) {
	tests := []struct {
		name              string
		rule              Rule
		anchor, due, want string
		ends              bool
	}{
		{"daily", Rule{Frequency: Daily, Interval: 1}, "2026-03-30", "2026-03-30", "2026-03-31", false},
		{"every 3 days over a month end", Rule{Frequency: Daily, Interval: 3}, "2026-01-30", "2026-01-30", "2026-02-02", false},
		{"every 2 weeks", Rule{Frequency: Weekly, Interval: 2}, "2026-03-02", "2026-03-02", "2026-03-16", false},
		{"weekly keeps its rhythm from the anchor", Rule{Frequency: Weekly, Interval: 2}, "2026-03-02", "2026-03-16", "2026-03-30", false},
		{"monthly on the 31st lands on 28 Feb", Rule{Frequency: Monthly, Interval: 1}, "2026-01-31", "2026-01-31", "2026-02-28", false},
		{"monthly returns to the 31st", Rule{Frequency: Monthly, Interval: 1}, "2026-01-31", "2026-02-28", "2026-03-31", false},
		{"monthly on the 31st lands on 30 Apr", Rule{Frequency: Monthly, Interval: 1}, "2026-01-31", "2026-03-31", "2026-04-30", false},
		{"monthly leap year February", Rule{Frequency: Monthly, Interval: 1}, "2028-01-31", "2028-01-31", "2028-02-29", false},
		{"every 2 months over a year end", Rule{Frequency: Monthly, Interval: 2}, "2026-11-15", "2026-11-15", "2027-01-15", false},
		{"yearly on 29 Feb in a common year", Rule{Frequency: Yearly, Interval: 1}, "2028-02-29", "2028-02-29", "2029-02-28", false},
		{"yearly back to 29 Feb in a leap year", Rule{Frequency: Yearly, Interval: 1}, "2028-02-29", "2031-02-28", "2032-02-29", false},
		{"yearly birthday", Rule{Frequency: Yearly, Interval: 1}, "2026-07-14", "2026-07-14", "2027-07-14", false},
		{"until the next date", Rule{Frequency: Daily, Interval: 1, Until: "2026-03-31"}, "2026-03-30", "2026-03-30", "2026-03-31", false},
		{"until passed", Rule{Frequency: Daily, Interval: 1, Until: "2026-03-31"}, "2026-03-30", "2026-03-31", "2026-04-01", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := NextDue(tt.rule, tt.anchor, tt.due)
			if got.Format(db.DateLayout) != tt.want || ok == tt.ends {
				t.Errorf("NextDue(%+v, %s, %s) = %s, %v; want %s, %v", tt.rule, tt.anchor, tt.due,
					got.Format(db.DateLayout), ok, tt.want, !tt.ends)
			}
		})
	}
}

func TestRuleNeverFires(t *testing.T) {
	tests := []struct {
		name  string
		rule  Rule
		due   string
		field string
	}{
		{"interval zero is one", Rule{Frequency: Daily}, "2026-03-01", ""},
		{"negative interval", Rule{Frequency: Weekly, Interval: -2}, "2026-03-01", "recurrence.interval"},
		{"huge interval", Rule{Frequency: Daily, Interval: 5000}, "2026-03-01", "recurrence.interval"},
		{"unknown frequency", Rule{Frequency: "hourly"}, "2026-03-01", "recurrence.frequency"},
		{"no due date", Rule{Frequency: Daily}, "", "recurrence.frequency"},
		{"ends before the next date", Rule{Frequency: Monthly, Interval: 1, Until: "2026-03-20"}, "2026-03-01", "recurrence.until"},
		{"until in a bad format", Rule{Frequency: Monthly, Until: "20.03.2026"}, "2026-03-01", "recurrence.until"},
		{"ends on the next date", Rule{Frequency: Weekly, Until: "2026-03-08"}, "2026-03-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v apperr.Validation
			r := tt.rule
			checkRule(&r, tt.due, &v)
			if tt.field == "" && len(v.Fields) > 0 || tt.field != "" && v.For(tt.field) == "" {
				t.Errorf("checkRule(%+v, %q) = %+v; want an error on %q", tt.rule, tt.due, v.Fields, tt.field)
			}
		})
	}
}
