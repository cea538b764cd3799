package record

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
)

// Count counts the rows of from (a FROM ... WHERE ... clause) matching f.
// With limit > 0 it stops at limit+1 and reports exact=false when there are
// more, so a list page never waits for a full count.
//
// ownerCol is the owner column of an object under the visibility scope
// (only the rows the actor may see are counted), "" for one that is not.
func Count(ctx context.Context, d *db.DB, schema *query.Schema, from, ownerCol string, f query.Group, limit int) (n int, exact bool, err error) {
	var vis string
	var visArgs []any
	if ownerCol != "" {
		vis, visArgs = access.Visible(ctx, ownerCol, 0)
	}
	where, args, err := query.Compile(query.Options{Engine: d.Engine, Schema: schema, Args: visArgs}, f)
	if err != nil {
		return 0, false, err
	}
	if where != "" {
		where = " AND " + where
	}
	if vis != "" {
		where = " AND " + vis + where
	}
	q := `SELECT COUNT(*)` + from + where
	if limit > 0 {
		q = `SELECT COUNT(*) FROM (SELECT 1` + from + where + fmt.Sprintf(` LIMIT %d) x`, limit+1)
	}
	if err := d.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("record: count: %w", err)
	}
	if limit > 0 && n > limit {
		return limit, false, nil
	}
	return n, true, nil
}
