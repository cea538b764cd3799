package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

// Photo is a contact's picture.
type Photo struct {
	// MediaType is image/jpeg, image/png, image/gif or image/webp.
	MediaType string
	Data      []byte
}

// MaxPhotoBytes bounds a picture's size.
const MaxPhotoBytes = 2 << 20

// PhotoTypes are the image types a picture may be.
var PhotoTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// checkPhoto says what is wrong with p, if anything; the media type is
// what the bytes are, whatever p claims.
func checkPhoto(p *Photo, v *apperr.Validation) {
	switch {
	case len(p.Data) == 0:
		v.Add("photo", "The picture is empty.")
	case len(p.Data) > MaxPhotoBytes:
		v.Add("photo", fmt.Sprintf("The picture is %.1f MB; use one of at most 2 MB.", float64(len(p.Data))/(1<<20)))
	default:
		p.MediaType = http.DetectContentType(p.Data)
		if !slices.Contains(PhotoTypes, p.MediaType) {
			v.Add("photo", "The picture is not a JPEG, PNG, GIF or WebP image.")
		}
	}
}

// Photo returns a contact's picture; apperr.ErrNotFound when it has none
// or the actor may not see the contact.
func (s *Service) Photo(ctx context.Context, contactID string) (Photo, error) {
	if _, err := s.ByID(ctx, contactID); err != nil {
		return Photo{}, err
	}
	var p Photo
	err := s.db.R.QueryRowContext(ctx, `SELECT media_type, data FROM contact_photos WHERE contact_id = $1`, contactID).
		Scan(&p.MediaType, &p.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("photo of contact %s: %w", contactID, apperr.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("contact: photo: %w", err)
	}
	return p, nil
}

// SetPhoto gives a contact a picture, replacing the one it had.
func (s *Service) SetPhoto(ctx context.Context, contactID string, p Photo) error {
	actor, err := access.Check(ctx, access.Contacts, access.Update)
	if err != nil {
		return err
	}
	c, err := s.load(ctx, s.db.R, contactID)
	if err != nil {
		return err
	}
	var v apperr.Validation
	checkPhoto(&p, &v)
	if err := v.Err(); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := setPhotoTx(ctx, tx, c.ID, p); err != nil {
			return err
		}
		if err := touch(ctx, tx, c.ID, actor.UserID); err != nil {
			return err
		}
		return subject(c).Emit(ctx, tx, actor.UserID, "photo_changed", map[string]any{"name": c.DisplayName})
	})
}

// RemovePhoto takes a contact's picture away; removing none is not an error.
func (s *Service) RemovePhoto(ctx context.Context, contactID string) error {
	actor, err := access.Check(ctx, access.Contacts, access.Update)
	if err != nil {
		return err
	}
	c, err := s.load(ctx, s.db.R, contactID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM contact_photos WHERE contact_id = $1`, c.ID)
		if err != nil {
			return fmt.Errorf("contact: remove photo: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := touch(ctx, tx, c.ID, actor.UserID); err != nil {
			return err
		}
		return subject(c).Emit(ctx, tx, actor.UserID, "photo_removed", map[string]any{"name": c.DisplayName})
	})
}

func setPhotoTx(ctx context.Context, tx *db.Tx, contactID string, p Photo) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO contact_photos (contact_id, media_type, data, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (contact_id) DO UPDATE SET media_type = excluded.media_type, data = excluded.data, updated_at = excluded.updated_at`,
		contactID, p.MediaType, p.Data, db.T(db.Now()))
	if err != nil {
		return fmt.Errorf("contact: set photo: %w", err)
	}
	return nil
}

// touch marks a contact changed now by actorID: its picture is part of
// it (a phone syncing the address book sees the change).
func touch(ctx context.Context, tx *db.Tx, contactID, actorID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE contacts SET updated_at = $2, updated_by = $3 WHERE id = $1`,
		contactID, db.T(db.Now()), db.NullString(actorID))
	if err != nil {
		return fmt.Errorf("contact: touch: %w", err)
	}
	return nil
}

// hasPhoto reports whether a contact has a picture.
func hasPhoto(ctx context.Context, q db.Querier, contactID string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM contact_photos WHERE contact_id = $1`, contactID).Scan(&n)
	return n > 0, err
}
