package record

import (
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
)

func TestDiff(t *testing.T) {
	got := Diff(
		map[string]any{"a": "x", "b": "same", "c": []string{}, "d": "gone", "money": float64(1999)},
		map[string]any{"a": "y", "b": "same", "c": nil, "e": "new", "money": int64(1999)},
	)
	want := []string{"a", "d", "e"}
	if len(got) != len(want) {
		t.Fatalf("Diff = %v, want fields %v", got, want)
	}
	for i, c := range got {
		if c.Field != want[i] {
			t.Errorf("change %d is %q, want %q", i, c.Field, want[i])
		}
	}
}

func TestText(t *testing.T) {
	var v apperr.Validation
	s := "  Ada\x00 Lovelace \r\n"
	Text(&v, "name", &s, 20, false)
	if s != "Ada Lovelace" || v.Err() != nil {
		t.Errorf("Text cleaned to %q, err %v", s, v.Err())
	}
	long := "a\nb"
	Text(&v, "title", &long, 1, false)
	if v.For("title") == "" {
		t.Error("two lines and too long: no message")
	}
	a := Address{Street: "1 Main St\nFlat 2", City: "Leeds", PostalCode: "LS1", Country: "UK"}
	a.Clean(&v, "address")
	if got := a.Lines(); len(got) != 4 || got[2] != "LS1 Leeds" {
		t.Errorf("Lines = %q", got)
	}
}
