package access

import (
	"context"
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		role   string
		object string
		action Action
		want   bool
	}{
		{"owner", CustomFields, Create, true},
		{"admin", Contacts, Delete, true},
		{"manager", Contacts, Update, true},
		{"member", Contacts, Create, true},
		{"member", CustomFields, Create, false},
		{"member", CustomFields, Read, true},
		{"viewer", Contacts, Read, true},
		{"viewer", Contacts, Create, false},
		{"viewer", Companies, Delete, false},
		{"viewer", Views, Create, true},
		{"stranger", Contacts, Read, false},
	}
	for _, tt := range tests {
		ctx := WithActor(context.Background(), Actor{UserID: "u", Role: tt.role})
		_, err := Check(ctx, tt.object, tt.action)
		if got := err == nil; got != tt.want {
			t.Errorf("%s %s %s: allowed = %v, want %v", tt.role, tt.action, tt.object, got, tt.want)
		}
		if err != nil && !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("%s %s %s: error %v is not ErrForbidden", tt.role, tt.action, tt.object, err)
		}
	}
	if _, err := Check(context.Background(), Contacts, Read); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("no actor: err = %v, want ErrForbidden", err)
	}
	if _, err := Check(WithActor(context.Background(), SystemActor), CustomFields, Delete); err != nil {
		t.Errorf("system actor refused: %v", err)
	}
}
