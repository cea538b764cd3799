package vcard

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/url"
	"strings"
	"testing"
)

// tinyImage is a 3×2 picture with some colour in it.
func tinyImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	img.Set(2, 1, color.RGBA{B: 200, A: 255})
	return img
}

func tinyJPEG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, tinyImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tinyPNG(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, tinyImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tinyGIF(t testing.TB) []byte {
	var b bytes.Buffer
	if err := gif.Encode(&b, tinyImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tinyWebP is the start of a lossless WebP file: enough for its magic.
func tinyWebP() []byte {
	return []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x02\x40\x00\x00\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
}

// pngHeader is a PNG signature and a valid IHDR chunk claiming w×h pixels,
// with no picture after it.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 0, 17)
	ihdr = append(ihdr, "IHDR"...)
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	b := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// fold cuts s into lines of 60 characters, as writers fold base64: the
// first piece after first, each following one on a new line after indent.
func fold(s, first, indent string) string {
	var b strings.Builder
	b.WriteString(first)
	for i := 0; i < len(s); i += 60 {
		if i > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteString(s[i:min(i+60, len(s))])
	}
	return b.String()
}

func TestDecodePhotos(t *testing.T) {
	jpg, pngData, gifData, webp := tinyJPEG(t), tinyPNG(t), tinyGIF(t), tinyWebP()
	tests := []struct {
		name  string
		props string // after FN, on line 4 onwards
		photo *Photo
		err   string
	}{
		{name: "3.0 ENCODING=b", props: "PHOTO;ENCODING=b;TYPE=JPEG:" + fold(b64(jpg), "", " "), photo: &Photo{MediaType: "image/jpeg", Data: jpg}},
		{name: "2.1 ENCODING=BASE64, lines not indented, blank line after", props: "PHOTO;ENCODING=BASE64;TYPE=PNG:\n" + fold(b64(pngData), "", "") + "\n", photo: &Photo{MediaType: "image/png", Data: pngData}},
		{name: "2.1 bare BASE64 and GIF", props: "PHOTO;GIF;BASE64:\n" + fold(b64(gifData), "    ", "    ") + "\n", photo: &Photo{MediaType: "image/gif", Data: gifData}},
		{name: "4.0 data URI", props: "PHOTO:" + fold("data:image/png;base64,"+b64(pngData), "", " "), photo: &Photo{MediaType: "image/png", Data: pngData}},
		{name: "4.0 data URI, percent-encoded", props: "PHOTO:data:image/gif," + url.PathEscape(string(gifData)), photo: &Photo{MediaType: "image/gif", Data: gifData}},
		{name: "base64 without padding or ENCODING", props: "PHOTO:" + strings.TrimRight(b64(jpg), "="), photo: &Photo{MediaType: "image/jpeg", Data: jpg}},
		{name: "WebP by its magic bytes", props: "PHOTO;ENCODING=b;TYPE=WEBP:" + b64(webp), photo: &Photo{MediaType: "image/webp", Data: webp}},
		{name: "the content wins over the declared type", props: "PHOTO;ENCODING=b;TYPE=JPEG:" + b64(pngData), photo: &Photo{MediaType: "image/png", Data: pngData}},
		{name: "3.0 link", props: "PHOTO;VALUE=uri:https://example.com/p.jpg", photo: &Photo{URL: "https://example.com/p.jpg"}},
		{name: "2.1 link with a type", props: "PHOTO;VALUE=URL;TYPE=GIF:http://example.com/p.gif", photo: &Photo{URL: "http://example.com/p.gif", MediaType: "image/gif"}},
		{name: "4.0 link with MEDIATYPE", props: "PHOTO;MEDIATYPE=image/jpeg:https://example.com/a.jpg", photo: &Photo{URL: "https://example.com/a.jpg", MediaType: "image/jpeg"}},
		{name: "only the first photo", props: "PHOTO;ENCODING=b:" + b64(jpg) + "\nPHOTO;ENCODING=b:" + b64([]byte("not an image")), photo: &Photo{MediaType: "image/jpeg", Data: jpg}},
		{name: "a MIME reference is left alone", props: "PHOTO;VALUE=CONTENT-ID:<part1@example.com>", photo: nil},
		{name: "an empty photo is none", props: "PHOTO;ENCODING=b;TYPE=JPEG:", photo: nil},
		{name: "a PDF is not an image", props: "PHOTO;ENCODING=b;TYPE=JPEG:" + b64([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n")), err: "card at line 1 (Photo Test): the photo on line 4 is not a JPEG, PNG, GIF or WebP image"},
		{name: "random bytes are not an image", props: "PHOTO;ENCODING=BASE64:" + b64(bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 100)), err: "the photo on line 4 is not a JPEG, PNG, GIF or WebP image"},
		{name: "a cut-off PNG is not an image", props: "PHOTO;ENCODING=b:" + b64(pngData[:20]), err: "is not a JPEG, PNG, GIF or WebP image"},
		{name: "a data URI that is text", props: "PHOTO:data:text/plain;base64," + b64([]byte("hello")), err: "is not a JPEG, PNG, GIF or WebP image"},
		{name: "a picture of absurd size", props: "PHOTO;ENCODING=b:" + b64(pngHeader(100000, 100000)), err: "claims 100000×100000 pixels"},
		{name: "not base64", props: "PHOTO;ENCODING=b;TYPE=JPEG:***not base64***", err: "the photo on line 4 is not valid base64 data"},
		{name: "a data URI without data", props: "PHOTO:data:image/png;base64", err: "a data: URI with no data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := crlf("BEGIN:VCARD\nVERSION:3.0\nFN:Photo Test\n" + tt.props + "\nEND:VCARD\n")
			want := result{line: 1, card: Card{FullName: "Photo Test", Photo: tt.photo}, err: tt.err}
			checkResults(t, readAll(t, text), []result{want})
		})
	}
}

func TestDecodePhotoTooLarge(t *testing.T) {
	big := append(tinyJPEG(t), make([]byte, MaxPhotoSize)...)
	for _, form := range []string{"PHOTO;ENCODING=b;TYPE=JPEG:" + b64(big), "PHOTO:data:image/jpeg;base64," + b64(big)} {
		text := "BEGIN:VCARD\nVERSION:3.0\nFN:Big Photo\n" + form + "\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:After\nEND:VCARD\n"
		checkResults(t, readAll(t, text), []result{
			{line: 1, err: "card at line 1 (Big Photo): the photo on line 4 is larger than 5 MB"},
			{line: 6, card: Card{FullName: "After"}},
		})
	}
	// Just under the limit is fine.
	ok := append(tinyJPEG(t), make([]byte, MaxPhotoSize-len(tinyJPEG(t)))...)
	text := "BEGIN:VCARD\nVERSION:3.0\nFN:Fits\nPHOTO;ENCODING=b;TYPE=JPEG:" + b64(ok) + "\nEND:VCARD\n"
	got := readAll(t, text)
	if len(got) != 1 || got[0].err != "" || got[0].card.Photo == nil || len(got[0].card.Photo.Data) != MaxPhotoSize {
		t.Fatalf("a 5 MB photo: got %s, want it read", dump(got))
	}
}
