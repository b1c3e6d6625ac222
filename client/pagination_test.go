package client_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/client"
)

// listServer serves a list of n customers at /customers, honouring limit and starting_after, and fails
// with 500 when a page starts after failAfter.
func listServer(t *testing.T, n int, failAfter string, emptyHasMore bool) *fakeAPI {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("cust_%02d", i+1)
	}
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		q := r.URL.Query()
		if emptyHasMore {
			writeJSON(w, http.StatusOK, map[string]any{"data": []any{}, "has_more": true})
			return
		}
		if failAfter != "" && q.Get("starting_after") == failAfter {
			problem(w, http.StatusBadRequest, "invalid_parameter", "")
			return
		}
		limit := 25
		if v := q.Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		start := 0
		if after := q.Get("starting_after"); after != "" {
			for i, id := range ids {
				if id == after {
					start = i + 1
				}
			}
		}
		end := min(start+limit, len(ids))
		data := []map[string]any{}
		for _, id := range ids[start:end] {
			data = append(data, map[string]any{"id": id, "external_id": nil, "name": nil, "email": "e", "phone": "p",
				"cpf": "529.982.247-25", "cnpj": nil, "trading_name": nil, "status": "active", "created_at": 1, "updated_at": 1})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "has_more": end < len(ids)})
	})
}

func TestListWalksEveryPage(t *testing.T) {
	t.Parallel()
	f := listServer(t, 7, "", false)
	c := f.client()
	var got []string
	params := &client.CustomerListParams{ListParams: client.ListParams{Limit: 3}, Status: client.CustomerActive, Order: "desc"}
	for cust, err := range c.Customers.List(t.Context(), params) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cust.ID)
	}
	want := []string{"cust_01", "cust_02", "cust_03", "cust_04", "cust_05", "cust_06", "cust_07"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	var queries []url.Values
	for _, r := range f.recorded() {
		q, _ := url.ParseQuery(r.query)
		queries = append(queries, q)
	}
	wantQueries := []url.Values{
		{"limit": {"3"}, "status": {"active"}, "order": {"desc"}},
		{"limit": {"3"}, "status": {"active"}, "order": {"desc"}, "starting_after": {"cust_03"}},
		{"limit": {"3"}, "status": {"active"}, "order": {"desc"}, "starting_after": {"cust_06"}},
	}
	if diff := cmp.Diff(wantQueries, queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if params.StartingAfter != "" {
		t.Error("List changed the caller's params")
	}
}

func TestListStopsEarly(t *testing.T) {
	t.Parallel()
	f := listServer(t, 7, "", false)
	n := 0
	for _, err := range f.client().Customers.List(t.Context(), &client.CustomerListParams{ListParams: client.ListParams{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if calls := len(f.recorded()); calls != 2 {
		t.Errorf("%d page requests to read 3 items of pages of 2, want 2", calls)
	}
}

func TestListYieldsErrorAndStops(t *testing.T) {
	t.Parallel()
	f := listServer(t, 7, "cust_04", false)
	var ids []string
	var errs []error
	for cust, err := range f.client().Customers.List(t.Context(), &client.CustomerListParams{ListParams: client.ListParams{Limit: 4}}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, cust.ID)
	}
	if len(ids) != 4 || len(errs) != 1 || !client.IsCode(errs[0], "invalid_parameter") {
		t.Errorf("ids %v, errors %v; want 4 ids then one error", ids, errs)
	}
}

// has_more with an empty page ends the walk (there is no cursor to go on from).
func TestListEmptyPageWithHasMore(t *testing.T) {
	t.Parallel()
	f := listServer(t, 0, "", true)
	for _, err := range f.client().Customers.List(t.Context(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		t.Error("an item from an empty page")
	}
	if calls := len(f.recorded()); calls != 1 {
		t.Errorf("%d requests, want 1", calls)
	}
}

func TestListPage(t *testing.T) {
	t.Parallel()
	f := listServer(t, 5, "", false)
	c := f.client()
	page, err := c.Customers.ListPage(t.Context(), &client.CustomerListParams{ListParams: client.ListParams{Limit: 2, StartingAfter: "cust_02"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 2 || page.Data[0].ID != "cust_03" || !page.HasMore || page.NextCursor() != "cust_04" {
		t.Errorf("page %+v, has_more %v, next %q", page.Data, page.HasMore, page.NextCursor())
	}
	page, err = c.Customers.ListPage(t.Context(), &client.CustomerListParams{ListParams: client.ListParams{Limit: 2, StartingAfter: page.NextCursor()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.HasMore {
		t.Errorf("last page %+v, has_more %v", page.Data, page.HasMore)
	}
	if _, err := c.Customers.ListPage(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	var empty client.Page[client.Customer]
	if empty.NextCursor() != "" {
		t.Error("an empty page has a cursor")
	}
}
