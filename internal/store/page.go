package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Page asks for one page of a list: at most Limit items after the item whose id is StartingAfter.
type Page struct {
	Limit         int
	StartingAfter string
	// Descending reverses the order (newest first).
	Descending bool
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// rowInScope reads the one row of `selectFrom` (a "SELECT columns FROM table") whose key column holds
// id, in scope, with suffix ending the query (more conditions, or FOR UPDATE); scan reads the columns. A
// missing row is notFound(id), or sql.ErrNoRows when notFound is nil.
func rowInScope[T any](ctx context.Context, c conn, selectFrom, key string, scope lending.Scope, id, suffix string,
	scan func(scanner) (T, error), notFound func(id string) error) (T, error) {
	v, err := scan(c.queryRow(ctx, selectFrom+` WHERE `+key+` = ? AND partner_id = ? AND environment = ?`+suffix,
		id, scope.PartnerID, string(scope.Environment)))
	if notFound != nil && errors.Is(err, sql.ErrNoRows) {
		return v, notFound(id)
	}
	return v, err
}

// listSpec describes a keyset-paginated list over one table, ordered by (sortColumn, id).
type listSpec struct {
	table      string
	columns    string
	where      string // conditions that scope the list, with '?' placeholders for args
	args       []any
	sortColumn string
}

// listPage returns up to page.Limit rows of spec after the cursor, and whether more follow. The cost of a
// page does not depend on how deep it is: the cursor becomes a range condition on the ordering index.
// An unknown cursor (or one outside the scope) is a CodeInvalidParameter error.
func listPage[T any](ctx context.Context, c conn, spec listSpec, page Page, scan func(scanner) (T, error)) ([]T, bool, error) {
	if page.Limit <= 0 {
		return nil, false, fmt.Errorf("store: page limit %d", page.Limit)
	}
	where, args := spec.where, append([]any(nil), spec.args...)
	cmp, dir := ">", "ASC"
	if page.Descending {
		cmp, dir = "<", "DESC"
	}
	if page.StartingAfter != "" {
		var sortValue int64
		q := "SELECT " + spec.sortColumn + " FROM " + spec.table + " WHERE id = ? AND " + spec.where
		err := c.queryRow(ctx, q, append([]any{page.StartingAfter}, spec.args...)...).Scan(&sortValue)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, lending.FieldErrorf(lending.CodeInvalidParameter, "starting_after",
				"starting_after %q does not name an item of this list", page.StartingAfter)
		}
		if err != nil {
			return nil, false, err
		}
		where += " AND (" + spec.sortColumn + ", id) " + cmp + " (?, ?)"
		args = append(args, sortValue, page.StartingAfter)
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY %s %s, id %s LIMIT %d",
		spec.columns, spec.table, where, spec.sortColumn, dir, dir, page.Limit+1)
	out, err := queryAll(ctx, c, scan, q, args...)
	if err != nil {
		return nil, false, err
	}
	hasMore := len(out) > page.Limit
	if hasMore {
		out = out[:page.Limit]
	}
	return out, hasMore, nil
}

// queryAll runs query and returns every row, scanned by scan (an empty, non-nil slice when none).
func queryAll[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, rows.Err()
}

// prefixed returns the comma-separated column list with each column qualified by prefix (a table alias
// and a dot), for queries that join or correlate tables.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
