package contact_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
)

func pngOf(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{B: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestContactPhoto(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Ada")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.contacts.Photo(e.ctx, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Fatalf("photo of a contact without one: err = %v, want not found", err)
		}
		// What the bytes are counts, not what the caller says they are.
		pic := pngOf(3, 3)
		if err := e.contacts.SetPhoto(e.ctx, c.ID, contact.Photo{MediaType: "image/gif", Data: pic}); err != nil {
			t.Fatal(err)
		}
		got, err := e.contacts.Photo(e.ctx, c.ID)
		if err != nil || got.MediaType != "image/png" || !bytes.Equal(got.Data, pic) {
			t.Fatalf("photo = %q, %d bytes, %v; want the PNG back", got.MediaType, len(got.Data), err)
		}
		if again, _ := e.contacts.ByID(e.ctx, c.ID); !again.HasPhoto || !again.UpdatedAt.After(c.UpdatedAt) {
			t.Errorf("after a picture: has photo %t, updated %v (was %v)", again.HasPhoto, again.UpdatedAt, c.UpdatedAt)
		}
		for _, bad := range []struct {
			name string
			data []byte
			want string
		}{
			{"text", []byte("not a picture at all"), "not a JPEG, PNG, GIF or WebP"},
			{"empty", nil, "empty"},
			{"too big", append(pngOf(1, 1), make([]byte, contact.MaxPhotoBytes)...), "at most 2 MB"},
		} {
			err := e.contacts.SetPhoto(e.ctx, c.ID, contact.Photo{Data: bad.data})
			v := apperr.AsValidation(err)
			if v == nil || !strings.Contains(v.For("photo"), bad.want) {
				t.Errorf("%s: err = %v, want a photo message with %q", bad.name, err, bad.want)
			}
		}
		if got, _ := e.contacts.Photo(e.ctx, c.ID); !bytes.Equal(got.Data, pic) {
			t.Error("a refused picture replaced the good one")
		}
		viewer, _ := fixture.User(t, d, "viewer")
		if err := e.contacts.SetPhoto(viewer, c.ID, contact.Photo{Data: pic}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("viewer sets a picture: err = %v, want forbidden", err)
		}
		if _, err := e.contacts.Photo(viewer, c.ID); err != nil {
			t.Errorf("viewer reads the picture: %v", err)
		}
		if err := e.contacts.RemovePhoto(e.ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.contacts.Photo(e.ctx, c.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("after removal: err = %v, want not found", err)
		}
		evs, err := event.ListForSubject(e.ctx, d.R, "contact", c.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind)
		}
		if strings.Join(kinds, " ") != "contact.photo_removed contact.photo_changed contact.created" {
			t.Errorf("events = %v", kinds)
		}
	})
}
