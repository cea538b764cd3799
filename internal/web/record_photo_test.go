package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// postPicture uploads data as the contact page's picture form does.
func (s *site) postPicture(path string, data []byte) response {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("photo", "me.png")
	if err != nil {
		s.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", s.srv.URL+path, &buf)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// TestContactPicture: upload a picture on the contact's page, see it in
// the header and served as an image, get a message for a file that is no
// picture, and remove it.
func TestContactPicture(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		res := s.post("/contacts", url.Values{"first_name": {"Ada"}, "last_name": {"Lovelace"}})
		res.expect(t, 303, "")
		page := res.header.Get("Location")
		if !strings.HasPrefix(page, "/contacts/") {
			t.Fatalf("created at %q", page)
		}
		s.get(page).expect(t, 200, "", "Add a picture", `enctype="multipart/form-data"`)

		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		img.Set(4, 4, color.RGBA{R: 255, A: 255})
		var pic bytes.Buffer
		png.Encode(&pic, img)
		s.postPicture(page+"/photo", pic.Bytes()).expect(t, 303, page)
		s.get(page).expect(t, 200, "", `class="avatar record-avatar record-photo" src="`+page+`/photo?v=`,
			"The picture was saved.", "Replace the picture", "Remove the picture")
		got := s.get(page + "/photo")
		if got.status != 200 || got.header.Get("Content-Type") != "image/png" || got.body != pic.String() ||
			got.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("picture: %d %q nosniff=%q, %d bytes", got.status, got.header.Get("Content-Type"),
				got.header.Get("X-Content-Type-Options"), len(got.body))
		}

		s.postPicture(page+"/photo", []byte("<script>alert(1)</script>")).expect(t, 422, "",
			`id="photo-error"`, "not a JPEG, PNG, GIF or WebP image", `aria-invalid="true"`)
		if still := s.get(page + "/photo"); still.body != pic.String() {
			t.Error("a refused upload replaced the picture")
		}
		s.get(page).expect(t, 200, "", "changed the picture of this contact")

		s.post(page+"/photo/delete", url.Values{}).expect(t, 303, page)
		s.get(page+"/photo").expect(t, 404, "")
		s.get(page).expect(t, 200, "", "Add a picture", "removed the picture of this contact")
	})
}
