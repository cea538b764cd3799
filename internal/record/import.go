package record

// Outcomes of an imported row, the same for every kind of record.
const (
	Created  = "created"
	Updated  = "updated"
	Skipped  = "skipped"
	Rejected = "rejected"
)

// ImportMode says what an import does with a row that matches a record
// already there.
type ImportMode string

// Import modes.
const (
	// ImportSkip leaves the existing record alone.
	ImportSkip ImportMode = "skip"
	// ImportFill sets only the fields the existing record has empty.
	ImportFill ImportMode = "fill"
	// ImportOverwrite sets every field the row has.
	ImportOverwrite ImportMode = "overwrite"
)

// Valid reports whether m is a known mode.
func (m ImportMode) Valid() bool { return m == ImportSkip || m == ImportFill || m == ImportOverwrite }

// ImportSource names the import in a created record's timeline event.
type ImportSource struct {
	ImportID string `json:"id"`
	File     string `json:"file"`
}

// ImportResult is what happened to one imported row of records of type T.
type ImportResult[T any] struct {
	Outcome string
	// ID is the record created, updated or matched.
	ID string
	// Before is the record as it was before an update, so the import can
	// be undone.
	Before *T
	// Problem says why the row was rejected: an *apperr.Validation naming
	// each bad field.
	Problem error
}
