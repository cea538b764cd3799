package importer

import (
	"context"
	"errors"
	"io"
	"slices"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
)

// PreviewRow is one of the first rows of a file, run through the import
// without keeping anything.
type PreviewRow struct {
	Line int
	// Fields are the row's values as read (CSV), fitted to the header.
	Fields []string
	// Outcome is what the import would do: created, updated, skipped or
	// rejected.
	Outcome string
	// Problems say why a rejected row would be rejected.
	Problems []apperr.FieldError
}

// Preview runs the first n rows of an uploaded import through the same
// rules as the import itself, with the current mapping and mode, and
// rolls everything back: the wizard shows each row with its problems
// before anything is written.
func (s *Service) Preview(ctx context.Context, importID string, n int) ([]PreviewRow, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return nil, err
	}
	r := s.runner(im.ID)
	defer r.close()
	im.DryRun, im.RowsDone = true, 0
	if err := r.open(ctx, im); err != nil {
		return nil, err
	}
	var batch []item
	for len(batch) < n {
		it, err := r.src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		batch = append(batch, it)
	}
	out := make([]PreviewRow, 0, len(batch))
	// Rows need a checked mapping; a mapping the user is still fixing
	// shows the rows without outcomes.
	ready := s.ready(ctx, im) == nil
	var results []rowResult
	err = s.o.DB.WithTx(ctx, func(tx *db.Tx) error {
		if !ready {
			return errDryRun
		}
		var err error
		if results, err = r.rows(ctx, tx, im, batch, 0); err != nil {
			return err
		}
		return errDryRun
	})
	if !errors.Is(err, errDryRun) {
		return nil, err
	}
	for i, it := range batch {
		p := PreviewRow{Line: it.Line, Fields: slices.Clone(it.Raw)}
		if it.Values != nil {
			p.Fields = it.fields
		}
		switch {
		case it.Problem != nil:
			p.Outcome, p.Problems = contact.Rejected, problemFields(it.Problem)
		case i < len(results):
			p.Outcome = results[i].outcome
			if results[i].problem != nil {
				p.Problems = problemFields(results[i].problem)
			}
		}
		out = append(out, p)
	}
	return out, nil
}
