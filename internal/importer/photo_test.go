package importer_test

import (
	"bytes"
	"encoding/base64"
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
	"github.com/rapportcrm/rapport/internal/importer"
)

// TestImportVCardPhotos keeps the pictures cards carry inline (3.0
// base64, 4.0 data: URI), rejects a card whose picture is not an image,
// and leaves a picture given as a link unfetched.
func TestImportVCardPhotos(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		img := image.NewRGBA(image.Rect(0, 0, 4, 4))
		img.Set(2, 2, color.RGBA{G: 255, A: 255})
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		pic := b.Bytes()
		b64 := base64.StdEncoding.EncodeToString(pic)
		body := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nEMAIL:ada@example.com\r\nPHOTO;ENCODING=b;TYPE=PNG:" + b64 + "\r\nEND:VCARD\r\n" +
			"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Grace Hopper\r\nEMAIL:grace@example.com\r\nPHOTO:data:image/png;base64," + b64 + "\r\nEND:VCARD\r\n" +
			"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Not A Picture\r\nEMAIL:bad@example.com\r\nPHOTO;ENCODING=b;TYPE=JPEG:" +
			base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00 an executable, not a picture")) + "\r\nEND:VCARD\r\n" +
			"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Linked Picture\r\nEMAIL:link@example.com\r\nPHOTO:https://example.com/me.jpg\r\nEND:VCARD\r\n"
		im := e.run(e.ctx, importer.Contacts, "phone.vcf", body, contact.ImportSkip, false)
		if im.Created != 3 || im.Rejected != 1 {
			t.Fatalf("import = %d created, %d rejected; want 3 and 1", im.Created, im.Rejected)
		}
		for _, addr := range []string{"ada@example.com", "grace@example.com"} {
			ph, err := e.contacts.Photo(e.ctx, contactByEmail(t, e, addr))
			if err != nil || ph.MediaType != "image/png" || !bytes.Equal(ph.Data, pic) {
				t.Errorf("%s: picture %q, %d bytes, %v; want the PNG", addr, ph.MediaType, len(ph.Data), err)
			}
		}
		if _, err := e.contacts.Photo(e.ctx, contactByEmail(t, e, "link@example.com")); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("a linked picture: err = %v, want none stored", err)
		}
		var reason string
		if err := d.R.QueryRowContext(e.ctx, `SELECT problem FROM import_rows WHERE import_id = $1 AND outcome = 'rejected'`,
			im.ID).Scan(&reason); err != nil || !strings.Contains(reason, "image") {
			t.Errorf("rejected card's reason = %q, %v; want it to say the picture is no image", reason, err)
		}
	})
}
