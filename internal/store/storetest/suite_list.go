package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var listCredentialTests = []namedTest{
	{"Pagination", testListCredentialsPagination},
	{"CursorOutsideList", testListCredentialsCursorOutsideList},
	{"Edges", testListCredentialsEdges},
}

// listFixture is a store holding 7 credentials in scope (several sharing created_at) and a few in the
// same partner's other environment and in another partner's same environment.
type listFixture struct {
	s                  *store.Store
	scope, live, other lending.Scope
	// want[scope] is each scope's credentials in list order: created_at, then id.
	want map[lending.Scope][]lending.Credential
}

func newListFixture(t *testing.T, e Engine) listFixture {
	t.Helper()
	s, clk := open(t, e)
	f := listFixture{s: s, scope: mustScope(t, s, lending.EnvTest), other: mustScope(t, s, lending.EnvTest)}
	f.live = lending.Scope{PartnerID: f.scope.PartnerID, Environment: lending.EnvLive}
	f.want = map[lending.Scope][]lending.Credential{}
	// Seconds after t0 of each of scope's credentials: one alone, three together, one alone, two together.
	// The clock moves by less than a second too, which NewCredential truncates away.
	for i, step := range []time.Duration{0, time.Second, 0, 0, time.Second, 1500 * time.Millisecond, 100 * time.Millisecond} {
		now := clk.Advance(step)
		for _, sc := range []lending.Scope{f.scope, f.live, f.other} {
			if sc != f.scope && i%2 == 1 {
				continue
			}
			c := mustCredential(t, s, sc, fmt.Sprintf("cred %d", i), now, nil)
			f.want[sc] = append(f.want[sc], c)
		}
	}
	for _, cs := range f.want {
		slices.SortFunc(cs, func(a, b lending.Credential) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ClientID, b.ClientID))
		})
	}
	if n := len(f.want[f.scope]); n != 7 {
		t.Fatalf("fixture has %d credentials in scope, want 7", n)
	}
	return f
}

// walkPages pages through a list with limit, from the first page on, and returns every item and each
// page's length, failing t if a page is over the limit, has_more is wrong, or the walk does not end.
// list fetches one page; id names an item for starting_after; what names the list in failures.
func walkPages[T any](t *testing.T, what string, limit int, desc bool,
	list func(store.Page) ([]T, bool, error), id func(T) string) ([]T, []int) {
	t.Helper()
	var all []T
	var sizes []int
	page := store.Page{Limit: limit, Descending: desc}
	for range 100 {
		items, hasMore, err := list(page)
		if err != nil {
			t.Fatalf("%s(%+v): %v", what, page, err)
		}
		if len(items) > limit {
			t.Fatalf("%s(%+v) returned %d items, more than the limit", what, page, len(items))
		}
		all = append(all, items...)
		sizes = append(sizes, len(items))
		if !hasMore {
			return all, sizes
		}
		if len(items) == 0 {
			t.Fatalf("%s(%+v): has_more with an empty page", what, page)
		}
		page.StartingAfter = id(items[len(items)-1])
	}
	t.Fatalf("%s with limit %d did not end after 100 pages", what, limit)
	return nil, nil
}

// walk pages through scope's credentials with limit (see walkPages).
func (f listFixture) walk(t *testing.T, scope lending.Scope, limit int, desc bool) ([]lending.Credential, []int) {
	t.Helper()
	return walkPages(t, "ListCredentials", limit, desc, func(page store.Page) ([]lending.Credential, bool, error) {
		return f.s.ListCredentials(testCtx(t), scope, page)
	}, func(c lending.Credential) string { return c.ClientID })
}

func testListCredentialsPagination(t *testing.T, e Engine) {
	f := newListFixture(t, e)
	for _, scope := range []lending.Scope{f.scope, f.live, f.other} {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(f.want[scope])
			if desc {
				slices.Reverse(want)
			}
			for limit := 1; limit <= len(want)+2; limit++ {
				t.Run(fmt.Sprintf("%s/desc=%v/limit=%d", scope.Environment, desc, limit), func(t *testing.T) {
					got, sizes := f.walk(t, scope, limit, desc)
					// Full pages until the last one, which has the rest (has_more is false exactly on it, so an
					// exact multiple of the limit ends with a full page, not an empty one).
					var wantSizes []int
					for n := len(want); n > 0; n -= limit {
						wantSizes = append(wantSizes, min(n, limit))
					}
					if diff := cmpDiff(wantSizes, sizes); diff != "" {
						t.Errorf("page sizes (-want +got):\n%s", diff)
					}
					if diff := cmpDiff(clientIDs(want), clientIDs(got)); diff != "" {
						t.Errorf("order of client ids across pages (-want +got):\n%s", diff)
					}
					if diff := cmpDiff(want, got); diff != "" {
						t.Errorf("credentials across pages (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

func clientIDs(cs []lending.Credential) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ClientID
	}
	return out
}

// testListCredentialsCursorOutsideList: starting_after must name an item of the very list asked for.
func testListCredentialsCursorOutsideList(t *testing.T, e Engine) {
	f := newListFixture(t, e)
	cases := []struct {
		name   string
		cursor string
	}{
		{"unknown id", ids.New("dinie_ci_test_")},
		{"same partner's other environment", f.want[f.live][0].ClientID},
		{"other partner", f.want[f.other][0].ClientID},
		{"quote", "'"},
	}
	for _, c := range cases {
		for _, desc := range []bool{false, true} {
			items, hasMore, err := f.s.ListCredentials(testCtx(t), f.scope, store.Page{Limit: 3, StartingAfter: c.cursor, Descending: desc})
			what := fmt.Sprintf("%s (desc=%v)", c.name, desc)
			if le := wantCode(t, what, err, lending.CodeInvalidParameter); le != nil {
				if len(le.Fields) != 1 || le.Fields[0].Param != "starting_after" {
					t.Errorf("%s: error fields = %+v, want one about starting_after", what, le.Fields)
				}
			}
			if len(items) != 0 || hasMore {
				t.Errorf("%s: got %d items, has_more %v along with the error; want none, false", what, len(items), hasMore)
			}
		}
	}
}

func testListCredentialsEdges(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newListFixture(t, e)
	want := f.want[f.scope]

	t.Run("cursor at the end", func(t *testing.T) {
		for _, c := range []struct {
			desc   bool
			cursor string
		}{{false, want[len(want)-1].ClientID}, {true, want[0].ClientID}} {
			items, hasMore, err := f.s.ListCredentials(ctx, f.scope, store.Page{Limit: 3, StartingAfter: c.cursor, Descending: c.desc})
			if err != nil || len(items) != 0 || hasMore {
				t.Errorf("desc=%v, after the last item: %d items, has_more %v, %v; want none, false, nil", c.desc, len(items), hasMore, err)
			}
		}
	})
	t.Run("cursor inside a tie", func(t *testing.T) {
		// want[1..3] share created_at: after want[2] come want[3] (same instant, larger id) and then later ones.
		if !want[1].CreatedAt.Equal(want[3].CreatedAt) {
			t.Fatalf("fixture: want[1] and want[3] should share created_at")
		}
		items, hasMore, err := f.s.ListCredentials(ctx, f.scope, store.Page{Limit: 2, StartingAfter: want[2].ClientID})
		if err != nil {
			t.Fatalf("ListCredentials: %v", err)
		}
		if diff := cmpDiff(clientIDs(want[3:5]), clientIDs(items)); diff != "" || !hasMore {
			t.Errorf("after want[2]: has_more %v (want true), ids (-want +got):\n%s", hasMore, diff)
		}
		items, hasMore, err = f.s.ListCredentials(ctx, f.scope, store.Page{Limit: 2, StartingAfter: want[2].ClientID, Descending: true})
		if err != nil {
			t.Fatalf("ListCredentials: %v", err)
		}
		if diff := cmpDiff(clientIDs([]lending.Credential{want[1], want[0]}), clientIDs(items)); diff != "" || hasMore {
			t.Errorf("descending after want[2]: has_more %v (want false), ids (-want +got):\n%s", hasMore, diff)
		}
	})
	t.Run("empty scope", func(t *testing.T) {
		empty := mustScope(t, f.s, lending.EnvTest)
		for _, desc := range []bool{false, true} {
			items, hasMore, err := f.s.ListCredentials(ctx, empty, store.Page{Limit: 10, Descending: desc})
			if err != nil || len(items) != 0 || hasMore {
				t.Errorf("desc=%v: %d items, has_more %v, %v; want none, false, nil", desc, len(items), hasMore, err)
			}
		}
	})
	t.Run("non-positive limit", func(t *testing.T) {
		for _, limit := range []int{0, -1} {
			if _, _, err := f.s.ListCredentials(ctx, f.scope, store.Page{Limit: limit}); err == nil {
				t.Errorf("ListCredentials with limit %d succeeded, want an error", limit)
			}
		}
	})
}
