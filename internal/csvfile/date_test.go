package csvfile

import "testing"

func TestParseDate(t *testing.T) {
	tests := []struct {
		in    string
		order DateOrder
		want  string // "" for not a date
	}{
		{"2006-01-02", OrderUnknown, "2006-01-02"},
		{" 2006/1/2 ", OrderUnknown, "2006-01-02"},
		{"2006.01.02", OrderUnknown, "2006-01-02"},
		{"2023-01-15 10:22", OrderUnknown, "2023-01-15"},
		{"2023-01-15T10:22:00Z", OrderUnknown, "2023-01-15"},
		{"20060102", OrderUnknown, "2006-01-02"},
		{"02/01/2006", DayFirst, "2006-01-02"},
		{"02/01/2006", MonthFirst, "2006-02-01"},
		{"02/01/2006", OrderUnknown, ""},
		{"02-01-2006", DayFirst, "2006-01-02"},
		{"13/01/2006", OrderUnknown, "2006-01-13"},
		{"13/01/2006", MonthFirst, "2006-01-13"},
		{"01/13/2006", OrderUnknown, "2006-01-13"},
		{"01/13/2006", DayFirst, "2006-01-13"},
		{"05/05/2006", OrderUnknown, "2006-05-05"},
		{"1/15/2023 10:22 AM", OrderUnknown, "2023-01-15"},
		{"12/31/99", OrderUnknown, "1999-12-31"},
		{"01/02/29", DayFirst, "2029-02-01"},
		{"01/02/30", DayFirst, "1930-02-01"},
		{"2.1.2006", MonthFirst, "2006-01-02"},
		{"02.01.06", OrderUnknown, "2006-01-02"},
		{"2 Jan 2006", OrderUnknown, "2006-01-02"},
		{"02-Jan-06", OrderUnknown, "2006-01-02"},
		{"2 January 2006", OrderUnknown, "2006-01-02"},
		{"Monday, 2 January 2006", OrderUnknown, "2006-01-02"},
		{"Jan 2, 2006", OrderUnknown, "2006-01-02"},
		{"January 2, 2006", OrderUnknown, "2006-01-02"},
		{"Jan. 2 2006", OrderUnknown, "2006-01-02"},
		{"January 2nd, 2006", OrderUnknown, "2006-01-02"},
		{"2nd of January 2006", OrderUnknown, "2006-01-02"},
		{"10 Dec 2023", OrderUnknown, "2023-12-10"},
		{"2. Januar 2006", OrderUnknown, "2006-01-02"},
		{"12. März 1985", OrderUnknown, "1985-03-12"},
		{"2 de enero de 2006", OrderUnknown, "2006-01-02"},
		{"2 janvier 2006", OrderUnknown, "2006-01-02"},
		{"14 juillet 1789", OrderUnknown, "1789-07-14"},
		{"44927", OrderUnknown, "2023-01-01"},
		{"44927.5", OrderUnknown, "2023-01-01"},
		{"31048", OrderUnknown, "1985-01-01"},
		{"--01-02", OrderUnknown, "--01-02"},
		{"--0102", OrderUnknown, "--01-02"},
		{"--02-29", OrderUnknown, "--02-29"},
		{"1604-01-02", OrderUnknown, "--01-02"},
		{"2 Jan", OrderUnknown, "--01-02"},
		{"Jan 2", OrderUnknown, "--01-02"},
		{"2020-02-29", OrderUnknown, "2020-02-29"},
		{"2021-02-29", OrderUnknown, ""},
		{"31/04/2021", DayFirst, ""},
		{"13/13/2020", DayFirst, ""},
		{"--13-01", OrderUnknown, ""},
		{"--02-30", OrderUnknown, ""},
		{"1985", OrderUnknown, ""},
		{"12", OrderUnknown, ""},
		{"0999-01-01", OrderUnknown, ""},
		{"2/1/6", DayFirst, ""},
		{"", OrderUnknown, ""},
		{"not a date", OrderUnknown, ""},
		{"Jan 2006", OrderUnknown, ""},
		{"2 Foo 2006", OrderUnknown, ""},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in, tt.order)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ParseDate(%q, %d) = %q, %v; want %q", tt.in, tt.order, got, ok, tt.want)
		}
	}
}

func TestGuessDateOrder(t *testing.T) {
	tests := []struct {
		values []string
		want   DateOrder
	}{
		{[]string{"01/02/2020", "13/02/2020", ""}, DayFirst},
		{[]string{"01/02/2020", "02/13/2020"}, MonthFirst},
		{[]string{"01/02/2020", "03/04/2020"}, OrderUnknown},
		{[]string{"2020-01-13", "2 Jan 2020"}, OrderUnknown},
		{[]string{"13.01.2020"}, OrderUnknown},
	}
	for _, tt := range tests {
		if got := GuessDateOrder(tt.values); got != tt.want {
			t.Errorf("GuessDateOrder(%q) = %d, want %d", tt.values, got, tt.want)
		}
	}
}
