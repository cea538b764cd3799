package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
)

// EnqueueMany inserts many jobs inside tx with one statement per engine
// batch, as Enqueue does one: they exist only if tx commits.
func (q *Queue) EnqueueMany(ctx context.Context, tx *db.Tx, params []river.InsertManyParams) error {
	if len(params) == 0 {
		return nil
	}
	if tx == nil || tx.Tx == nil {
		return errors.New("jobs: enqueue needs a transaction")
	}
	if tx.Engine != q.d.Engine {
		return fmt.Errorf("jobs: enqueue: transaction on %s, queue on %s", tx.Engine, q.d.Engine)
	}
	var err error
	if q.sqlite != nil {
		_, err = q.sqlite.InsertManyTx(ctx, tx.Tx, params)
	} else {
		_, err = q.pg.InsertManyTx(ctx, tx.PgxTx(), params)
	}
	if err != nil {
		return fmt.Errorf("jobs: enqueue %d jobs: %w", len(params), err)
	}
	return nil
}
