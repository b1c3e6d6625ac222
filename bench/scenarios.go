package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/wire"
)

// benchCNPJ is the company of every customer the tool registers: a sandbox LTDA with three partners
// besides the applicant, whose bureau profile gets a fixed offer of R$ 60,000.00 in 12 installments
// (docs/sandbox.md).
const benchCNPJ = "12.340.003/0006-68"

// simulationBody fits that offer.
var simulationBody = []byte(`{"requested_amount":20000,"installment_count":12}`)

// waitLimit bounds every wait for asynchronous work (enrichment, the offer, the disbursement).
const waitLimit = 2 * time.Minute

// cpfSeq hands out distinct valid CPFs from sequential 9-digit bases, skipping the bases ending in
// 997, 998 and 999 (the sandbox's KYC magic values) and those of one repeated digit.
type cpfSeq struct{ n atomic.Int64 }

func newCPFSeq(start int64) *cpfSeq {
	s := &cpfSeq{}
	s.n.Store(start)
	return s
}

func (s *cpfSeq) next() lending.CPF {
	for {
		v := s.n.Add(1) - 1
		if v%1000 >= 997 {
			continue
		}
		base := fmt.Sprintf("%09d", v%1_000_000_000)
		if strings.Count(base, base[:1]) == 9 {
			continue
		}
		return lending.CPFWithCheckDigits(base)
	}
}

func customerBody(cpf lending.CPF) []byte {
	return []byte(`{"cpf":"` + string(cpf) + `","cnpj":"` + benchCNPJ + `","email":"bench@example.com.br","phone":"+5511987654321"}`)
}

func (b *bench) scenario(ctx context.Context, name string) ([]*result, error) {
	switch name {
	case "token":
		return b.tokenScenario(ctx)
	case "create-customer":
		return b.createCustomerScenario(ctx)
	case "get-customer":
		return b.getCustomerScenario(ctx)
	case "list-customers":
		return b.listCustomersScenario(ctx)
	case "simulate":
		return b.simulateScenario(ctx)
	case "lifecycle":
		return b.lifecycleScenario(ctx)
	case "webhooks":
		return b.webhooksScenario(ctx)
	}
	return nil, fmt.Errorf("unknown scenario %q", name)
}

// get is an op that GETs path.
func (b *bench) get(path string) op {
	return func(ctx context.Context) outcome {
		return outcome{answer: b.api.call(ctx, "GET", path, nil, nil), calls: 1}
	}
}

func (b *bench) tokenScenario(ctx context.Context) ([]*result, error) {
	r := b.measure(ctx, b.srv, "token", "POST /auth/token", "req/s", b.shape(), func(ctx context.Context) outcome {
		req, err := b.api.tokenRequest(ctx)
		if err != nil {
			return outcome{answer: answer{err: err}}
		}
		return outcome{answer: b.api.send(req, nil), calls: 1}
	})
	return []*result{r}, nil
}

func (b *bench) createCustomerScenario(ctx context.Context) ([]*result, error) {
	var last atomic.Pointer[string]
	r := b.measure(ctx, b.srv, "create-customer", "POST /customers", "req/s", b.shape(), func(ctx context.Context) outcome {
		var c wire.Customer
		a := b.api.call(ctx, "POST", "/customers", customerBody(b.cpf.next()), &c)
		if a.ok() {
			last.Store(&c.ID)
		}
		return outcome{answer: a, calls: 1}
	})
	// Every new customer queued an enrichment job; say how long the workers took to catch up, so that
	// the next scenario's numbers are read knowing what ran beside them.
	if b.cfg.noJobs {
		r.Notes = append(r.Notes, "the server ran no job workers (--no-jobs): every customer's enrichment and credit analysis stayed queued")
	} else if id := last.Load(); id != nil {
		t0 := time.Now()
		if _, a := b.waitCustomer(ctx, *id, "pending_kyc", 10*time.Minute); a.ok() {
			r.Notes = append(r.Notes, fmt.Sprintf("the job workers finished enriching the last customer %.1fs after the load ended", time.Since(t0).Seconds()))
		} else {
			r.Notes = append(r.Notes, "the last customer created never reached pending_kyc: "+a.String())
		}
	}
	return []*result{r}, nil
}

// waitCustomer waits up to timeout until customer id has status (denied is a failure).
func (b *bench) waitCustomer(ctx context.Context, id, status string, timeout time.Duration) (int, answer) {
	return poll(ctx, timeout, func(ctx context.Context) (bool, answer) {
		var c wire.Customer
		a := b.api.call(ctx, "GET", "/customers/"+id, nil, &c)
		if a.ok() && c.Status == "denied" && status != "denied" {
			a.err = fmt.Errorf("customer %s was denied", id)
		}
		return a.ok() && c.Status == status, a
	})
}

// pendingCustomer registers a customer and waits for its enrichment (status pending_kyc).
func (b *bench) pendingCustomer(ctx context.Context) (string, error) {
	var c wire.Customer
	if a := b.api.call(ctx, "POST", "/customers", customerBody(b.cpf.next()), &c); !a.ok() {
		return "", a.fail("create a customer")
	}
	if _, a := b.waitCustomer(ctx, c.ID, "pending_kyc", waitLimit); !a.ok() {
		return "", a.fail("wait for the customer's enrichment")
	}
	return c.ID, nil
}

// offerOf waits until customer id has an offer and returns its id.
func (b *bench) offerOf(ctx context.Context, id string) (string, int, answer) {
	var offer string
	n, a := poll(ctx, waitLimit, func(ctx context.Context) (bool, answer) {
		var l struct {
			Data []wire.CreditOffer `json:"data"`
		}
		a := b.api.call(ctx, "GET", "/customers/"+id+"/credit-offers", nil, &l)
		if a.ok() && len(l.Data) > 0 {
			offer = l.Data[0].ID
		}
		return offer != "", a
	})
	return offer, n, a
}

// activeOffer makes a customer, approves its KYC and waits for its offer.
func (b *bench) activeOffer(ctx context.Context) (string, error) {
	id, err := b.pendingCustomer(ctx)
	if err != nil {
		return "", err
	}
	if a := b.api.call(ctx, "POST", "/sandbox/customers/"+id+"/kyc-decision", []byte(`{"decision":"approve"}`), nil); !a.ok() {
		return "", a.fail("approve the KYC")
	}
	offer, _, a := b.offerOf(ctx, id)
	if !a.ok() {
		return "", a.fail("wait for the credit offer")
	}
	return offer, nil
}

func (b *bench) getCustomerScenario(ctx context.Context) ([]*result, error) {
	id, err := b.pendingCustomer(ctx)
	if err != nil {
		return nil, err
	}
	r := b.measure(ctx, b.srv, "get-customer", "GET /customers/{id}", "req/s", b.shape(), b.get("/customers/"+id))
	return []*result{r}, nil
}

func (b *bench) listCustomersScenario(ctx context.Context) ([]*result, error) {
	cursor, err := b.seedCustomers(ctx, b.cfg.customers)
	if err != nil {
		return nil, fmt.Errorf("seed %d customers: %w", b.cfg.customers, err)
	}
	first := b.measure(ctx, b.srv, "list-customers", "GET /customers?limit=25 (first page)", "req/s", b.shape(),
		b.get("/customers?limit=25"))
	deep := b.measure(ctx, b.srv, "list-customers", "GET /customers?limit=25&starting_after= (deep page)", "req/s", b.shape(),
		b.get("/customers?limit=25&starting_after="+url.QueryEscape(cursor)))
	note := fmt.Sprintf("%s customers seeded; the deep page starts after one of the last 50", num(float64(b.cfg.customers)))
	first.Notes = append(first.Notes, note)
	deep.Notes = append(deep.Notes, note)
	return []*result{first, deep}, nil
}

func (b *bench) simulateScenario(ctx context.Context) ([]*result, error) {
	offer, err := b.activeOffer(ctx)
	if err != nil {
		return nil, err
	}
	path := "/credit-offers/" + offer + "/simulations"
	r := b.measure(ctx, b.srv, "simulate", "POST /credit-offers/{id}/simulations", "req/s", b.shape(), func(ctx context.Context) outcome {
		return outcome{answer: b.api.call(ctx, "POST", path, simulationBody, nil), calls: 1}
	})
	return []*result{r}, nil
}

// lifecycleSteps name the parts of one lifecycle, each timed.
var lifecycleSteps = []string{"create customer", "enrichment (wait pending_kyc)", "sandbox KYC approve", "bank account",
	"credit analysis (wait offer)", "simulate", "create loan", "sandbox sign", "disbursement (wait active)"}

func (b *bench) lifecycleScenario(ctx context.Context) ([]*result, error) {
	sh := b.shape()
	if sh.rate > 0 {
		sh.rate = b.cfg.lifecycleRate
	}
	r := b.measureWith(ctx, b.srv, "lifecycle", "customer → … → active loan", "lifecycles/s", sh, b.lifecycle, lifecycleSteps, nil)
	return []*result{r}, nil
}

// lifecycle walks one customer from registration to an active loan: create → (enrichment) → sandbox
// KYC approve → bank account → (credit analysis: the offer) → simulate → loan → sandbox sign (every
// signer) → (disbursement: active).
func (b *bench) lifecycle(ctx context.Context) (o outcome) {
	steps := make([]time.Duration, 0, len(lifecycleSteps))
	t := time.Now()
	step := func(a answer) bool {
		if !a.ok() {
			o.answer, o.step = a, lifecycleSteps[len(steps)]
			return false
		}
		steps = append(steps, time.Since(t))
		t = time.Now()
		return true
	}
	call := func(method, path string, body []byte, out any) answer {
		o.calls++
		return b.api.call(ctx, method, path, body, out)
	}
	wait := func(n int, a answer) answer { o.calls += n; return a }

	var c wire.Customer
	if !step(call("POST", "/customers", customerBody(b.cpf.next()), &c)) ||
		!step(wait(b.waitCustomer(ctx, c.ID, "pending_kyc", waitLimit))) ||
		!step(call("POST", "/sandbox/customers/"+c.ID+"/kyc-decision", []byte(`{"decision":"approve"}`), nil)) ||
		!step(call("POST", "/customers/"+c.ID+"/bank-account",
			[]byte(`{"bank_account":{"bank_id":"001","kind":"checking","branch":"1234","number":"56789","digit":"0"}}`), nil)) {
		return o
	}
	offer, n, a := b.offerOf(ctx, c.ID)
	if !step(wait(n, a)) {
		return o
	}
	var sim wire.Simulation
	if !step(call("POST", "/credit-offers/"+offer+"/simulations", simulationBody, &sim)) {
		return o
	}
	var loan wire.Loan
	body := fmt.Sprintf(`{"credit_offer_id":%q,"simulation_id":%q,"installment_count":%d,"installment_amount":%s,"first_due_date":%q}`,
		offer, sim.ID, sim.InstallmentCount, sim.InstallmentAmount, sim.FirstDueDate)
	if !step(call("POST", "/loans", []byte(body), &loan)) ||
		!step(call("POST", "/sandbox/loans/"+loan.ID+"/sign", []byte(`{}`), nil)) {
		return o
	}
	n, a = poll(ctx, waitLimit, func(ctx context.Context) (bool, answer) {
		var l wire.Loan
		a := b.api.call(ctx, "GET", "/loans/"+loan.ID, nil, &l)
		switch l.Status {
		case "cancelled", "error", "finished":
			a.err = fmt.Errorf("loan %s went to %s", loan.ID, l.Status)
		}
		return a.ok() && l.Status == "active", a
	})
	if !step(wait(n, a)) {
		return o
	}
	o.answer, o.steps = answer{status: 200}, steps
	return o
}

// seedCustomers adds n customers to the partner's test environment and returns the id of one of the
// last 50 of them (a cursor deep in the list). On a server the tool started it inserts them straight
// into the database (store.Tx.InsertCustomer, 5,000 to a transaction) as copies of one real customer
// enriched by the server (so the rows have a realistic kyc column), with distinct CPFs and ids and
// created_at one microsecond apart; on a --target server it registers them through POST /customers.
func (b *bench) seedCustomers(ctx context.Context, n int) (string, error) {
	if n == 0 {
		return b.pendingCustomer(ctx)
	}
	t0 := time.Now()
	var ids []string
	var err error
	if b.srv != nil {
		ids, err = b.seedStore(ctx, n)
	} else {
		ids, err = b.seedAPI(ctx, n)
	}
	if err != nil {
		return "", err
	}
	fmt.Fprintf(b.out, "bench: seeded %s customers in %.1fs\n", num(float64(n)), time.Since(t0).Seconds())
	return ids[max(0, len(ids)-50)], nil
}

// seedAPI registers n customers through the API, 32 at a time, and returns the ids of the last ones.
func (b *bench) seedAPI(ctx context.Context, n int) ([]string, error) {
	ids := make([]string, n)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	done := make(chan struct{})
	for range 32 {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil || ctx.Err() != nil {
					return
				}
				var c wire.Customer
				if a := b.api.call(ctx, "POST", "/customers", customerBody(b.cpf.next()), &c); !a.ok() {
					err := a.fail("POST /customers")
					failed.Store(&err)
					return
				}
				ids[i] = c.ID
				if i > 0 && i%10000 == 0 {
					fmt.Fprintf(b.out, "bench: seeded %s customers through the API\n", num(float64(i)))
				}
			}
		}()
	}
	for range 32 {
		<-done
	}
	if e := failed.Load(); e != nil {
		return nil, *e
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return ids[max(0, n-100):], nil
}
