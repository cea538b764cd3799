package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

func TestRecordCommitsWithTheChangeOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		subject := id.New()
		rec := func(kind string, fail bool) error {
			return d.WithTx(ctx, func(tx *db.Tx) error {
				_, err := event.Record(ctx, tx, event.Event{Kind: kind, SubjectType: "user", SubjectID: subject,
					Data: map[string]string{"field": "name", "before": "Ann", "after": "Anne"}})
				if err != nil {
					return err
				}
				if fail {
					return errors.New("change failed")
				}
				return nil
			})
		}
		if err := rec("user.updated", false); err != nil {
			t.Fatal(err)
		}
		if err := rec("user.deleted", true); err == nil {
			t.Fatal("want the failing change to fail")
		}
		got, err := event.ListForSubject(ctx, d.R, "user", subject, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Kind != "user.updated" || got[0].ActorID != "" {
			t.Fatalf("events = %+v, want one user.updated by the system", got)
		}
		var data map[string]string
		if err := json.Unmarshal(got[0].Data, &data); err != nil || data["after"] != "Anne" {
			t.Errorf("data = %s (%v), want after=Anne", got[0].Data, err)
		}
	})
}

func TestRecordRejectsIncompleteEvent(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	err := d.WithTx(context.Background(), func(tx *db.Tx) error {
		_, err := event.Record(context.Background(), tx, event.Event{Kind: "x.y"})
		return err
	})
	if err == nil {
		t.Error("an event without subject was recorded")
	}
}
