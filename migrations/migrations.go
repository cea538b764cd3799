// Package migrations embeds the forward-only schema migrations, one folder
// per engine. A schema change ships for both engines in the same commit.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
