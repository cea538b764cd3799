package order

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/id"
)

// ListRequest asks for one page of orders, newest first.
type ListRequest struct {
	ContactID string
	CompanyID string
	Status    string
	// Cursor is a previous page's Next; "" for the first page.
	Cursor string
	Limit  int
}

// Page is one page of orders (without their lines) and the cursor of the
// next one ("" on the last page).
type Page struct {
	Rows []Order
	Next string
}

// List returns one keyset page of the orders the actor may see, newest
// first (ids are time-ordered, so the id alone is the key).
func (s *Service) List(ctx context.Context, r ListRequest) (Page, error) {
	if _, err := access.Check(ctx, Orders, access.Read); err != nil {
		return Page{}, err
	}
	limit := clampLimit(r.Limit)
	var v apperr.Validation
	where, args := "o.deleted_at IS NULL", []any{}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	for _, f := range []struct{ name, val, col string }{{"contact_id", r.ContactID, "o.contact_id"},
		{"company_id", r.CompanyID, "o.company_id"}} {
		if f.val == "" {
			continue
		}
		if !id.Valid(f.val) {
			v.Add(f.name, "Use the id of a record.")
			continue
		}
		add(f.col+" = $%d", f.val)
	}
	if r.Status != "" {
		if next[r.Status] == nil {
			v.Add("status", "Use one of the order statuses.")
		}
		add("o.status = $%d", r.Status)
	}
	if r.Cursor != "" {
		if !id.Valid(r.Cursor) {
			v.Add("cursor", "This cursor is not valid; start from the first page.")
		}
		add("o.id < $%d", r.Cursor)
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	if vis, vargs := access.Visible(ctx, "o.owner_id", len(args)); vis != "" {
		where += " AND " + vis
		args = append(args, vargs...)
	}
	args = append(args, limit+1)
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+orderColumns+orderFrom+` WHERE `+where+
		fmt.Sprintf(` ORDER BY o.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return Page{}, fmt.Errorf("order: list: %w", err)
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return Page{}, fmt.Errorf("order: list: %w", err)
		}
		p.Rows = append(p.Rows, o)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("order: list: %w", err)
	}
	if len(p.Rows) > limit {
		p.Rows = p.Rows[:limit]
		p.Next = p.Rows[limit-1].ID
	}
	return p, nil
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 200:
		return 200
	}
	return n
}

// ProductRequest asks for one page of the catalogue, by name.
type ProductRequest struct {
	// ActiveOnly leaves out deactivated products (what order forms offer).
	ActiveOnly bool
	Currency   string
	Cursor     string
	Limit      int
}

// ProductPage is one page of products.
type ProductPage struct {
	Rows []Product
	Next string
}

type productCursor struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

// Products returns one keyset page of the catalogue ordered by name.
func (s *Service) Products(ctx context.Context, r ProductRequest) (ProductPage, error) {
	if _, err := checkCatalogue(ctx, access.Read); err != nil {
		return ProductPage{}, err
	}
	limit := clampLimit(r.Limit)
	where, args := "deleted_at IS NULL", []any{}
	if r.ActiveOnly {
		where += " AND active = $1"
		args = append(args, true)
	}
	if r.Currency != "" {
		args = append(args, r.Currency)
		where += fmt.Sprintf(" AND currency = $%d", len(args))
	}
	if r.Cursor != "" {
		var c productCursor
		b, err := base64.RawURLEncoding.DecodeString(r.Cursor)
		if err != nil || json.Unmarshal(b, &c) != nil || !id.Valid(c.ID) {
			v := &apperr.Validation{}
			v.Add("cursor", "This cursor is not valid; start from the first page.")
			return ProductPage{}, v
		}
		args = append(args, c.Name, c.ID)
		where += fmt.Sprintf(" AND (sort_name > $%d OR (sort_name = $%d AND id > $%d))", len(args)-1, len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+productColumns+` FROM products WHERE `+where+
		fmt.Sprintf(` ORDER BY sort_name, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return ProductPage{}, fmt.Errorf("order: products: %w", err)
	}
	defer rows.Close()
	var p ProductPage
	for rows.Next() {
		x, err := scanProduct(rows)
		if err != nil {
			return ProductPage{}, fmt.Errorf("order: products: %w", err)
		}
		p.Rows = append(p.Rows, x)
	}
	if err := rows.Err(); err != nil {
		return ProductPage{}, err
	}
	if len(p.Rows) > limit {
		p.Rows = p.Rows[:limit]
		last := p.Rows[limit-1]
		b, _ := json.Marshal(productCursor{Name: sortName(last.Name), ID: last.ID})
		p.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	return p, nil
}
