package vcard

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/gif"  // photos may be GIF
	_ "image/jpeg" // photos may be JPEG
	_ "image/png"  // photos may be PNG
	"net/url"
	"strings"
)

// photoOf reads a PHOTO property: inline base64 (2.1 ENCODING=BASE64, 3.0
// ENCODING=b), a data: URI (4.0) or a link, kept as written. The string is
// the problem found, for a person to read, or "".
func photoOf(p *rawProp) (*Photo, string) {
	v := strings.TrimSpace(p.value)
	if v == "" {
		return nil, ""
	}
	enc := strings.ToUpper(p.param("ENCODING"))
	kind := strings.ToUpper(p.param("VALUE"))
	switch {
	case enc == "B" || enc == "BASE64":
		return inlinePhoto(v, p.line)
	case len(v) > 5 && strings.EqualFold(v[:5], "data:"):
		return dataPhoto(v[5:], p.line)
	case kind == "CONTENT-ID" || kind == "CID":
		// A reference to another part of a MIME message that is not here.
		return nil, ""
	case kind == "URI" || kind == "URL" || looksLikeURL(v):
		return &Photo{URL: unescape(v), MediaType: declaredType(p)}, ""
	}
	// No encoding named: some writers leave ENCODING out of inline data.
	return inlinePhoto(v, p.line)
}

func looksLikeURL(s string) bool {
	i := strings.Index(s, "://")
	return i > 0 && i < 12
}

// declaredType is the media type a PHOTO link claims (MEDIATYPE, or a
// TYPE such as JPEG), or "".
func declaredType(p *rawProp) string {
	if mt := p.param("MEDIATYPE"); mt != "" {
		return strings.ToLower(mt)
	}
	for _, t := range p.types() {
		switch t = strings.ToLower(t); t {
		case "jpeg", "jpg", "png", "gif", "webp":
			if t == "jpg" {
				t = "jpeg"
			}
			return "image/" + t
		}
		if strings.HasPrefix(t, "image/") {
			return t
		}
	}
	return ""
}

// inlinePhoto decodes base64 image data and checks it is an image.
func inlinePhoto(b64 string, line int) (*Photo, string) {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, b64)
	clean = strings.TrimRight(clean, "=")
	if len(clean)/4*3 > MaxPhotoSize {
		return nil, fmt.Sprintf("the photo on line %d is larger than 5 MB", line)
	}
	data, err := base64.RawStdEncoding.DecodeString(clean)
	if err != nil {
		data, err = base64.RawURLEncoding.DecodeString(clean)
	}
	if err != nil {
		return nil, fmt.Sprintf("the photo on line %d is not valid base64 data, so it cannot be read", line)
	}
	return imagePhoto(data, line)
}

// dataPhoto reads the part of a data: URI after "data:".
func dataPhoto(s string, line int) (*Photo, string) {
	comma := strings.IndexByte(s, ',')
	if comma < 0 {
		return nil, fmt.Sprintf("the photo on line %d is a data: URI with no data", line)
	}
	meta, payload := s[:comma], s[comma+1:]
	if strings.HasSuffix(strings.ToLower(meta), ";base64") {
		return inlinePhoto(payload, line)
	}
	if len(payload) > 3*MaxPhotoSize {
		return nil, fmt.Sprintf("the photo on line %d is larger than 5 MB", line)
	}
	data, err := url.PathUnescape(payload)
	if err != nil {
		return nil, fmt.Sprintf("the photo on line %d is a data: URI that cannot be read", line)
	}
	return imagePhoto([]byte(data), line)
}

// imagePhoto checks that data is a JPEG, PNG, GIF or WebP image of a sane
// size and names its media type from the content, whatever the card claims.
func imagePhoto(data []byte, line int) (*Photo, string) {
	if len(data) > MaxPhotoSize {
		return nil, fmt.Sprintf("the photo on line %d is larger than 5 MB", line)
	}
	if isWebP(data) {
		return &Photo{MediaType: "image/webp", Data: data}, ""
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	mt := map[string]string{"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}[format]
	if err != nil || mt == "" {
		return nil, fmt.Sprintf("the photo on line %d is not a JPEG, PNG, GIF or WebP image", line)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPhotoPixels {
		return nil, fmt.Sprintf("the photo on line %d claims %d×%d pixels, which no portrait has", line, cfg.Width, cfg.Height)
	}
	return &Photo{MediaType: mt, Data: data}, ""
}

// isWebP checks the RIFF container's WEBP form and its first chunk.
func isWebP(b []byte) bool {
	return len(b) >= 16 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" && string(b[12:15]) == "VP8"
}

// sniffType names the media type of image data, or "" when it is none of
// the four kinds a photo may be.
func sniffType(data []byte) string {
	p, problem := imagePhoto(data, 0)
	if problem != "" {
		return ""
	}
	return p.MediaType
}
