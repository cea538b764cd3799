package deal

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// BoardQuery chooses a pipeline's board and filters its open deals.
type BoardQuery struct {
	PipelineID string
	OwnerID    string
	// CloseFrom and CloseTo bound the expected close date (YYYY-MM-DD).
	CloseFrom, CloseTo string
	// AmountMin and AmountMax bound the amount in minor units; nil = open.
	AmountMin, AmountMax *int64
	// Limit is the number of cards per column (default 50).
	Limit int
}

// Money is an amount in minor units of a currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// Card is a deal as a board column shows it.
type Card struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	CloseDate   string `json:"close_date,omitempty"`
	OwnerID     string `json:"owner_id,omitempty"`
	OwnerName   string `json:"owner_name,omitempty"`
	CompanyName string `json:"company_name,omitempty"`
	Version     int    `json:"version"`
	Rank        string `json:"rank"`
}

// Column is one stage of the board: its first cards and its totals.
type Column struct {
	Stage Stage  `json:"stage"`
	Cards []Card `json:"cards"`
	// Count and Totals cover every matching open deal of the stage, not only
	// the cards shown; Totals has one sum per currency.
	Count  int     `json:"count"`
	Totals []Money `json:"totals"`
	// More says there are cards after the last one shown.
	More bool `json:"more"`
}

// Board is a pipeline's open deals by stage.
type Board struct {
	Pipeline Pipeline `json:"pipeline"`
	Columns  []Column `json:"columns"`
}

// Board returns the columns of q's pipeline (the first pipeline when none
// is given).
func (s *Service) Board(ctx context.Context, q BoardQuery) (Board, error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return Board{}, err
	}
	p, err := s.boardPipeline(ctx, q.PipelineID)
	if err != nil {
		return Board{}, err
	}
	where, args, err := boardFilter(ctx, q)
	if err != nil {
		return Board{}, err
	}
	b := Board{Pipeline: p}
	totals, err := columnTotals(ctx, s.db.R, p.ID, where, args)
	if err != nil {
		return b, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	for _, st := range p.Stages {
		col := totals[st.ID]
		col.Stage = st
		if col.Totals == nil {
			col.Totals = []Money{}
		}
		if col.Count > 0 {
			if col.Cards, col.More, err = cards(ctx, s.db.R, st.ID, "", where, args, limit); err != nil {
				return b, err
			}
		}
		if col.Cards == nil {
			col.Cards = []Card{}
		}
		b.Columns = append(b.Columns, col)
	}
	return b, nil
}

// MoreCards returns the cards of a stage after the card afterID (show
// more), with the same filters as q.
func (s *Service) MoreCards(ctx context.Context, q BoardQuery, stageID, afterID string) ([]Card, bool, error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return nil, false, err
	}
	if _, err := stageByID(ctx, s.db.R, stageID); err != nil {
		return nil, false, err
	}
	where, args, err := boardFilter(ctx, q)
	if err != nil {
		return nil, false, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	after, err := rankIn(ctx, s.db.R, afterID, stageID)
	if err != nil {
		return nil, false, err
	}
	if after == "" {
		return []Card{}, false, nil
	}
	return cards(ctx, s.db.R, stageID, after+"|"+afterID, where, args, limit)
}

func (s *Service) boardPipeline(ctx context.Context, pipelineID string) (Pipeline, error) {
	if pipelineID != "" {
		return pipelineByID(ctx, s.db.R, pipelineID)
	}
	all, err := pipelines(ctx, s.db.R)
	if err != nil {
		return Pipeline{}, err
	}
	if len(all) == 0 {
		return Pipeline{}, fmt.Errorf("deal: no pipeline: %w", apperr.ErrNotFound)
	}
	return all[0], nil
}

// boardFilter compiles q's filters and the actor's visibility into SQL
// conditions on deals d, numbered from $2 ($1 is the pipeline or stage).
func boardFilter(ctx context.Context, q BoardQuery) (string, []any, error) {
	var v apperr.Validation
	var conds []string
	args := []any{}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args)+1)))
	}
	if q.OwnerID != "" {
		if !id.Valid(q.OwnerID) {
			v.Add("owner", "Choose an owner from the list of users.")
		} else {
			add("d.owner_id = ?", q.OwnerID)
		}
	}
	if q.CloseFrom != "" {
		if !ValidDate(q.CloseFrom) {
			v.Add("close_from", "Enter a date as YYYY-MM-DD, such as 2024-05-31.")
		} else {
			add("d.close_date >= ?", db.Date(q.CloseFrom))
		}
	}
	if q.CloseTo != "" {
		if !ValidDate(q.CloseTo) {
			v.Add("close_to", "Enter a date as YYYY-MM-DD, such as 2024-05-31.")
		} else {
			add("d.close_date <= ?", db.Date(q.CloseTo))
		}
	}
	if q.AmountMin != nil {
		add("d.amount >= ?", *q.AmountMin)
	}
	if q.AmountMax != nil {
		add("d.amount <= ?", *q.AmountMax)
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	vis, visArgs := access.Visible(ctx, "d.owner_id", len(args)+1)
	if vis != "" {
		conds = append(conds, vis)
		args = append(args, visArgs...)
	}
	where := ""
	if len(conds) > 0 {
		where = " AND " + strings.Join(conds, " AND ")
	}
	return where, args, nil
}

// BoardTotalsSQL is the column totals query of a board without filters,
// for the benchmark's plain-SQL baseline.
const BoardTotalsSQL = `SELECT d.stage_id, d.currency, COUNT(*), COALESCE(SUM(d.amount), 0) FROM deals d
	WHERE d.pipeline_id = $1 AND d.status = 'open' AND d.deleted_at IS NULL`

// BoardCardsSQL is one column's first cards, for the benchmark's baseline.
const BoardCardsSQL = `SELECT d.id, d.name, d.amount, d.currency, d.close_date, d.owner_id, COALESCE(u.name, ''),
	COALESCE(m.name, ''), d.version, d.rank FROM deals d LEFT JOIN users u ON u.id = d.owner_id
	LEFT JOIN companies m ON m.id = d.company_id AND m.deleted_at IS NULL
	WHERE d.stage_id = $1 AND d.status = 'open' AND d.deleted_at IS NULL`

func columnTotals(ctx context.Context, q db.Querier, pipelineID, where string, args []any) (map[string]Column, error) {
	rows, err := q.QueryContext(ctx, BoardTotalsSQL+where+` GROUP BY d.stage_id, d.currency`,
		append([]any{pipelineID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("deal: board totals: %w", err)
	}
	defer rows.Close()
	out := map[string]Column{}
	for rows.Next() {
		var stageID string
		var m Money
		var n int
		if err := rows.Scan(&stageID, &m.Currency, &n, &m.Amount); err != nil {
			return nil, err
		}
		c := out[stageID]
		c.Count += n
		c.Totals = append(c.Totals, m)
		out[stageID] = c
	}
	for k, c := range out {
		sort.Slice(c.Totals, func(i, j int) bool { return c.Totals[i].Amount > c.Totals[j].Amount })
		out[k] = c
	}
	return out, rows.Err()
}

func cards(ctx context.Context, q db.Querier, stageID, after, where string, args []any, limit int) ([]Card, bool, error) {
	all := append([]any{stageID}, args...)
	keyset := ""
	if rank, afterID, ok := strings.Cut(after, "|"); ok {
		all = append(all, rank, afterID)
		keyset = " AND (d.rank, d.id) > ($" + strconv.Itoa(len(all)-1) + ", $" + strconv.Itoa(len(all)) + ")"
	}
	all = append(all, limit+1)
	rows, err := q.QueryContext(ctx, BoardCardsSQL+where+keyset+` ORDER BY d.rank, d.id LIMIT $`+strconv.Itoa(len(all)), all...)
	if err != nil {
		return nil, false, fmt.Errorf("deal: board cards: %w", err)
	}
	defer rows.Close()
	var out []Card
	for rows.Next() {
		var c Card
		var closeDate db.Date
		var owner sql.NullString
		if err := rows.Scan(&c.ID, &c.Name, &c.Amount, &c.Currency, &closeDate, &owner, &c.OwnerName, &c.CompanyName,
			&c.Version, &c.Rank); err != nil {
			return nil, false, err
		}
		c.CloseDate, c.OwnerID = string(closeDate), owner.String
		out = append(out, c)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, rows.Err()
}

// ForRecord returns the live deals linked to a contact or (when company is
// true) a company that the actor may see, newest first, at most limit.
func (s *Service) ForRecord(ctx context.Context, recordID string, isCompany bool, limit int) ([]Deal, error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return nil, err
	}
	if !id.Valid(recordID) {
		return []Deal{}, nil
	}
	cond := `d.id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = $1)`
	if isCompany {
		cond = `d.company_id = $1`
	}
	vis, visArgs := access.Visible(ctx, "d.owner_id", 1)
	if vis != "" {
		cond += " AND " + vis
	}
	args := append([]any{recordID}, visArgs...)
	args = append(args, limit)
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+dealColumns+dealFrom+` WHERE `+cond+` AND d.deleted_at IS NULL
		ORDER BY d.created_at DESC, d.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("deal: for record: %w", err)
	}
	defer rows.Close()
	out := []Deal{}
	for rows.Next() {
		d, err := scanDeal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
