// Package vcard reads and writes people as vCard files: versions 2.1, 3.0
// and 4.0 on the way in (quoted-printable, character sets, Apple's grouped
// itemN labels, photos, any number of cards per file) and 3.0 or 4.0 on the
// way out. It knows nothing of the database: the importer turns a Card into
// a contact, the exporter and CardDAV turn a contact into a Card.
package vcard

import (
	"errors"
	"fmt"
)

// Limits on what a file may hold.
const (
	// MaxCardSize is the largest card, in bytes as written in the file;
	// a larger card is a *CardError.
	MaxCardSize = 10 << 20
	// MaxPhotoSize is the largest photo, in bytes once decoded; a larger
	// photo is a *CardError.
	MaxPhotoSize = 5 << 20
	// SniffSize is how far into a file the decoder looks for the first
	// BEGIN:VCARD before it gives up with ErrNotVCard.
	SniffSize = 64 << 10
	// maxPhotoPixels bounds a photo's width × height, so that a small file
	// cannot claim a picture that would take gigabytes to decode later.
	maxPhotoPixels = 50_000_000
)

// ErrNotVCard means the file is not a vCard file at all: it is empty, or no
// BEGIN:VCARD line appears in its first 64 KiB.
var ErrNotVCard = errors.New("this is not a vCard file: no BEGIN:VCARD line in its first 64 KiB")

// errEmpty is ErrNotVCard for an empty file, with a message that says so.
var errEmpty error = emptyError{}

type emptyError struct{}

func (emptyError) Error() string        { return "the file is empty" }
func (emptyError) Is(target error) bool { return target == ErrNotVCard }

// Card is one person as Rapport reads and writes it.
type Card struct {
	// UID is the card's own identifier (UID), kept as written.
	UID string
	// FullName is the formatted name (FN). When a card has no FN the
	// decoder builds it from the name parts.
	FullName string
	// FirstName, LastName, MiddleName, Prefix and Suffix are the parts of
	// the structured name (N).
	FirstName, LastName, MiddleName, Prefix, Suffix string
	// Emails are the email addresses (EMAIL), in file order.
	Emails []Value
	// Phones are the telephone numbers (TEL), in file order.
	Phones []Value
	// Org is the organisation's name (the first component of ORG).
	Org string
	// Title is the job title (TITLE).
	Title string
	// Addresses are the postal addresses (ADR), in file order.
	Addresses []Address
	// Birthday is BDAY as YYYY-MM-DD, or --MM-DD when the year is unknown.
	Birthday string
	// Note is the free text (NOTE); several NOTE lines are joined by a
	// blank line.
	Note string
	// Categories are the card's tags (CATEGORIES).
	Categories []string
	// URLs are the web addresses (URL), in file order.
	URLs []Value
	// Photo is the card's picture (PHOTO), or nil.
	Photo *Photo
	// Revision is when the card last changed (REV), kept as written.
	Revision string
}

// Value is one email address, phone number or web address with its label.
type Value struct {
	// Text is the address or number as written.
	Text string
	// Label says which one it is, in lower case for the common kinds
	// ("work", "home", "other", "mobile", "fax", "work fax", "pager",
	// "main", "homepage") and as written for a custom label (Apple's and
	// Google's itemN.X-ABLabel). Empty when the file gives none.
	Label string
	// Preferred marks the value the person prefers (TYPE=pref, or the
	// lowest PREF= among values of the same kind).
	Preferred bool
}

// Address is one postal address. Street holds the street, the extended
// address (flat, suite) and the post-office box, one per line.
type Address struct {
	// Label says which address it is, as Value.Label.
	Label string
	// Street is the street address, one line per part.
	Street string
	// City is the locality.
	City string
	// Region is the state, province or county.
	Region string
	// PostalCode is the postal or ZIP code.
	PostalCode string
	// Country is the country as written.
	Country string
}

// Photo is a card's picture: either the image itself (Data, checked to be a
// JPEG, PNG, GIF or WebP image, MediaType from its content) or, when the
// card only points at one, the URL as written (never downloaded).
type Photo struct {
	// MediaType is "image/jpeg", "image/png", "image/gif" or "image/webp"
	// for Data; for a URL, the media type the card declares, if any.
	MediaType string
	// Data is the decoded image, or nil for a URL.
	Data []byte
	// URL is where the picture is, when the card gives a link instead of
	// the image.
	URL string
}

// CardError is a card the decoder could not read whole. The decoder goes on
// with the following card.
type CardError struct {
	// Line is where the card (or the stray text) starts in the file.
	Line int
	// Name is the person's name when it could be read, so whoever fixes
	// the file can find the card.
	Name string
	// Message says what is wrong, for a person to read.
	Message string
}

// Error reports the line, the name when known, and what is wrong.
func (e *CardError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("card at line %d (%s): %s", e.Line, e.Name, e.Message)
	}
	return fmt.Sprintf("card at line %d: %s", e.Line, e.Message)
}
