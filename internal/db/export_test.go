package db

import "io/fs"

// SetSource replaces the migration files for a test and restores them after.
func SetSource(fsys fs.FS) (restore func()) {
	old := source
	source = fsys
	return func() { source = old }
}
