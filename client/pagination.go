package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// ListParams are the cursor parameters every list takes.
type ListParams struct {
	// Limit is the page size, 1 to 100 (0: the server's default, 25).
	Limit int
	// StartingAfter is the id of the last item of the previous page ("": from the start).
	StartingAfter string
}

func (p *ListParams) values() url.Values {
	q := url.Values{}
	if p == nil {
		return q
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.StartingAfter != "" {
		q.Set("starting_after", p.StartingAfter)
	}
	return q
}

// Page is one page of a list.
type Page[T any] struct {
	// Data are the page's items, in the list's order.
	Data []T `json:"data"`
	// HasMore is true when more items follow; ask for them with StartingAfter = NextCursor().
	HasMore bool `json:"has_more"`

	idOf func(T) string
}

// NextCursor returns the StartingAfter of the next page: the id of this page's last item ("" when the
// page is empty).
func (p *Page[T]) NextCursor() string {
	if len(p.Data) == 0 || p.idOf == nil {
		return ""
	}
	return p.idOf(p.Data[len(p.Data)-1])
}

// listPage gets one page of the list at path.
func listPage[T any](ctx context.Context, c *Client, path string, q url.Values, idOf func(T) string) (*Page[T], error) {
	p := &Page[T]{}
	if err := c.get(ctx, path, q, p); err != nil {
		return nil, err
	}
	p.idOf = idOf
	return p, nil
}

// paginate walks the list at path from q's cursor to its end, page by page. It stops after yielding an
// error, and when a page says has_more but is empty (no cursor to go on from).
func paginate[T any](ctx context.Context, c *Client, path string, q url.Values, idOf func(T) string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		q := cloneValues(q)
		for {
			page, err := listPage(ctx, c, path, q, idOf)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Data {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasMore || len(page.Data) == 0 {
				return
			}
			q.Set("starting_after", page.NextCursor())
		}
	}
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q))
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
