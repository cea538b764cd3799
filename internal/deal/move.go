package deal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
)

// MoveInput places a card on the board: in StageID, between the cards
// AfterID (above it) and BeforeID (below it); both empty = end of column.
type MoveInput struct {
	StageID  string `json:"stage_id"`
	AfterID  string `json:"after_id,omitempty"`
	BeforeID string `json:"before_id,omitempty"`
	// Version is the version the mover saw; 0 skips the check.
	Version int `json:"version,omitempty"`
}

// Move puts a deal in a stage at a place in its column. When the deal
// changed since in.Version, the move still applies if nobody else moved it
// meanwhile (their edit is kept, and so is this move); if someone did, it
// is refused with a *Conflict naming who moved it where and when.
func (s *Service) Move(ctx context.Context, dealID string, in MoveInput) (Deal, error) {
	actor, err := access.Check(ctx, Deals, access.Update)
	if err != nil {
		return Deal{}, err
	}
	var d Deal
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		old, err := s.load(ctx, tx, dealID, true)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != old.Version && old.MovedVersion > in.Version {
			return &Conflict{Current: old, By: old.MovedByName, What: "moved to " + old.StageName, At: old.MovedAt}
		}
		if old.Status != Open {
			v := &apperr.Validation{}
			v.Add("stage_id", "This deal is "+old.Status+"; reopen it to move it.")
			return v
		}
		st, err := stageByID(ctx, tx, strings.TrimSpace(in.StageID))
		if err != nil || st.PipelineID != old.PipelineID {
			v := &apperr.Validation{}
			v.Add("stage_id", "Choose a stage of the pipeline "+old.PipelineName+".")
			return v
		}
		d = old
		if d.Rank, err = s.rankFor(ctx, tx, st.ID, in, dealID); err != nil {
			return err
		}
		now := s.now()
		d.StageID, d.StageName, d.Probability, d.UpdatedAt = st.ID, st.Name, st.Probability, now
		if st.ID != old.StageID {
			d.StageEnteredAt = now
		}
		if err := updateDeal(ctx, tx, d, old.Version, true, actor.UserID); err != nil {
			return err
		}
		d.Version, d.MovedVersion, d.MovedAt, d.MovedByName = old.Version+1, old.Version+1, now, actor.Name
		if st.ID == old.StageID {
			return nil
		}
		return s.stageChanged(ctx, tx, old, d, actor.UserID, now)
	})
	if err != nil {
		return d, fmt.Errorf("deal: move: %w", err)
	}
	return d, nil
}

// rankFor is the rank of a card put between in.AfterID and in.BeforeID
// in stageID; a neighbour that is not (or no longer) there is ignored.
func (s *Service) rankFor(ctx context.Context, tx *db.Tx, stageID string, in MoveInput, self string) (string, error) {
	var after, before string
	var err error
	if in.AfterID != self {
		if after, err = rankIn(ctx, tx, in.AfterID, stageID); err != nil {
			return "", err
		}
	}
	if in.BeforeID != self {
		if before, err = rankIn(ctx, tx, in.BeforeID, stageID); err != nil {
			return "", err
		}
	}
	if after == "" && before == "" && in.AfterID == "" && in.BeforeID == "" {
		if after, err = lastRank(ctx, tx, stageID); err != nil {
			return "", err
		}
	}
	if after == "" && before == "" && (in.AfterID != "" || in.BeforeID != "") {
		// Neighbours moved away meanwhile: the end of the column.
		if after, err = lastRank(ctx, tx, stageID); err != nil {
			return "", err
		}
	}
	return Between(after, before), nil
}

// stageChanged writes the stage history and the stage_changed event of a
// deal that went from old's stage to d's.
func (s *Service) stageChanged(ctx context.Context, tx *db.Tx, old, d Deal, actorID string, now time.Time) error {
	if err := enterStage(ctx, tx, d, d.StageID, actorID, now); err != nil {
		return err
	}
	spent := now.Sub(old.StageEnteredAt)
	return s.emit(ctx, tx, d, actorID, "stage_changed", map[string]any{
		"from": old.StageName, "to": d.StageName, "from_id": old.StageID, "to_id": d.StageID,
		"seconds_in_stage": int64(spent.Seconds()), "probability": d.Probability})
}

// CloseInput marks a deal won or lost.
type CloseInput struct {
	// Reason says why a deal was lost (required then); ignored when won.
	Reason string `json:"reason,omitempty"`
	// Version is the version the closer saw; 0 skips the check.
	Version int `json:"version,omitempty"`
}

// MarkWon closes a deal as won and runs OnWon in the same transaction.
func (s *Service) MarkWon(ctx context.Context, dealID string, in CloseInput) (Deal, error) {
	return s.close(ctx, dealID, Won, in)
}

// MarkLost closes a deal as lost, with a reason.
func (s *Service) MarkLost(ctx context.Context, dealID string, in CloseInput) (Deal, error) {
	return s.close(ctx, dealID, Lost, in)
}

// Reopen puts a won or lost deal back on the board, in its stage.
func (s *Service) Reopen(ctx context.Context, dealID string, in CloseInput) (Deal, error) {
	return s.close(ctx, dealID, Open, in)
}

func (s *Service) close(ctx context.Context, dealID, status string, in CloseInput) (Deal, error) {
	actor, err := access.Check(ctx, Deals, access.Update)
	if err != nil {
		return Deal{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	if status == Lost {
		v := &apperr.Validation{}
		if reason == "" {
			v.Add("reason", "Say why the deal was lost.")
		} else if len([]rune(reason)) > 500 {
			v.Add("reason", "Use at most 500 characters.")
		}
		if err := v.Err(); err != nil {
			return Deal{}, err
		}
	}
	var d Deal
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		old, err := s.load(ctx, tx, dealID, true)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != old.Version {
			return editConflict(old)
		}
		if old.Status == status {
			v := &apperr.Validation{}
			v.Add("status", "This deal is already "+status+".")
			return v
		}
		now := s.now()
		d = old
		d.Status, d.UpdatedAt = status, now
		stageAgain := ""
		switch status {
		case Won:
			d.ClosedAt, d.LostReason = now, ""
		case Lost:
			d.ClosedAt, d.LostReason = now, reason
		default:
			d.ClosedAt, d.LostReason, d.StageEnteredAt, stageAgain = time.Time{}, "", now, d.StageID
			last, err := lastRank(ctx, tx, d.StageID)
			if err != nil {
				return err
			}
			d.Rank = Between(last, "")
		}
		if err := updateDeal(ctx, tx, d, old.Version, status == Open, actor.UserID); err != nil {
			return err
		}
		d.Version = old.Version + 1
		// A closed deal has left its stage; a reopened one enters it again.
		if err := enterStage(ctx, tx, d, stageAgain, actor.UserID, now); err != nil {
			return err
		}
		data := map[string]any{"name": d.Name, "amount": d.Amount, "currency": d.Currency, "stage": d.StageName}
		verb := status
		switch status {
		case Lost:
			data["reason"] = reason
		case Open:
			verb, data["was"] = "reopened", old.Status
		}
		if err := s.emit(ctx, tx, d, actor.UserID, verb, data); err != nil {
			return err
		}
		if status == Won && s.OnWon != nil {
			return s.OnWon(ctx, tx, d.ID)
		}
		return nil
	})
	if err != nil {
		return d, fmt.Errorf("deal: %s: %w", status, err)
	}
	return d, nil
}

func recordEvent(ctx context.Context, tx *db.Tx, d Deal, actorID, verb, contactID, companyID, dealID string, data map[string]any) (string, error) {
	e, err := event.Record(ctx, tx, event.Event{Kind: "deal." + verb, ActorID: actorID, SubjectType: "deal",
		SubjectID: d.ID, ContactID: contactID, CompanyID: companyID, DealID: dealID, Data: data})
	return e.ID, err
}
