package record

import (
	"context"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
)

// Subject is the record an event is about and the timelines it belongs on.
type Subject struct {
	Kind Kind
	ID   string
	// ContactID and CompanyID place the event on timelines; a contact's
	// events also go on its primary company's timeline.
	ContactID string
	CompanyID string
}

// Emit records "<kind>.<verb>" about s inside tx.
func (s Subject) Emit(ctx context.Context, tx *db.Tx, actorID, verb string, data any) error {
	_, err := event.Record(ctx, tx, s.Event(actorID, verb, data))
	return err
}

// Event is the event Emit records, for writing many with event.RecordBatch.
func (s Subject) Event(actorID, verb string, data any) event.Event {
	return event.Event{Kind: string(s.Kind) + "." + verb, ActorID: actorID,
		SubjectType: string(s.Kind), SubjectID: s.ID, ContactID: s.ContactID, CompanyID: s.CompanyID, Data: data}
}

// EmitTags records one tagged or untagged event per tag.
func (s Subject) EmitTags(ctx context.Context, tx *db.Tx, actorID string, added, removed []string) error {
	for _, t := range added {
		if err := s.Emit(ctx, tx, actorID, "tagged", map[string]any{"tag": t}); err != nil {
			return err
		}
	}
	for _, t := range removed {
		if err := s.Emit(ctx, tx, actorID, "untagged", map[string]any{"tag": t}); err != nil {
			return err
		}
	}
	return nil
}

// Owner is a record's owner as events show it.
type Owner struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// EmitChanges records an owner_changed event when the owner differs and an
// updated event listing every other field that changed, before and after.
func (s Subject) EmitChanges(ctx context.Context, tx *db.Tx, actorID string, ownerBefore, ownerAfter Owner, before, after map[string]any) error {
	if ownerBefore.ID != ownerAfter.ID {
		if err := s.Emit(ctx, tx, actorID, "owner_changed", map[string]any{"before": ownerBefore, "after": ownerAfter}); err != nil {
			return err
		}
	}
	changes := Diff(before, after)
	if len(changes) == 0 {
		return nil
	}
	return s.Emit(ctx, tx, actorID, "updated", map[string]any{"changes": changes})
}

// MergeHook moves what another domain keeps on merged records (deals,
// tasks, ...) to the survivor, inside the merge's transaction. Domains
// register one with the contact and company services at start-up.
type MergeHook func(ctx context.Context, tx *db.Tx, survivorID string, mergedIDs []string) error
