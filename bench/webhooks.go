package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/dinie-oss/dinie/webhook"
)

// webhookEvent is the type of the sample events sent, and the only one the endpoint subscribes to (so
// events of other scenarios never reach it).
const webhookEvent = "loan.payment_received"

// webhookStat is what the receiver saw of the events sent during the measured window.
type webhookStat struct {
	Sent                int     `json:"sent"`
	Delivered           int     `json:"delivered"`
	Undelivered         int     `json:"undelivered"`
	Duplicates          int     `json:"duplicates"`
	BadSignatures       int     `json:"bad_signatures"`
	DeliveriesPerSecond float64 `json:"deliveries_per_second"`
	EndToEndMS          latency `json:"end_to_end_ms"`
}

// receiver is the partner's webhook endpoint: it verifies each delivery's signature and notes when each
// event first arrived.
type receiver struct {
	mu     sync.Mutex
	secret string
	got    map[string]time.Time // event id (webhook-id) → first receipt
	dups   int
	bad    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(r.Body)
	id := r.Header.Get("webhook-id")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil || webhook.Verify([]string{rc.secret}, r.Header, body, now) != nil {
		rc.bad++
	}
	if _, seen := rc.got[id]; seen {
		rc.dups++
	} else {
		rc.got[id] = now
	}
	w.WriteHeader(http.StatusNoContent)
}

func (b *bench) webhooksScenario(ctx context.Context) ([]*result, error) {
	rc := &receiver{got: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	var ep struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	body, _ := json.Marshal(map[string]any{"url": "http://" + ln.Addr().String() + "/hook", "events": []string{webhookEvent},
		"description": "dinie bench receiver"})
	if a := b.api.call(ctx, "POST", "/webhooks/endpoints", body, &ep); !a.ok() {
		return nil, a.fail("create the webhook endpoint")
	}
	rc.mu.Lock()
	rc.secret = ep.Secret
	rc.mu.Unlock()
	defer func() {
		// Stop the deliveries to a receiver that is about to go away.
		if a := b.api.call(context.WithoutCancel(ctx), "DELETE", "/webhooks/endpoints/"+ep.ID, nil, nil); !a.ok() {
			fmt.Fprintf(b.out, "bench: delete webhook endpoint %s: %s\n", ep.ID, a)
		}
	}()

	var mu sync.Mutex
	sent := map[string]time.Time{} // event id → when its test-events request was sent
	path := "/sandbox/webhooks/endpoints/" + ep.ID + "/test-events"
	evBody := []byte(`{"type":"` + webhookEvent + `"}`)
	send := func(ctx context.Context) outcome {
		t := time.Now()
		var r struct {
			EventID string `json:"event_id"`
		}
		a := b.api.call(ctx, "POST", path, evBody, &r)
		if a.ok() {
			mu.Lock()
			sent[r.EventID] = t
			mu.Unlock()
		}
		return outcome{answer: a, calls: 1}
	}
	after := func(res *result, from, to time.Time) {
		// The events sent in the window, then wait for them to arrive (at most --drain).
		mu.Lock()
		window := map[string]time.Time{}
		for id, t := range sent {
			if !t.Before(from) && t.Before(to) {
				window[id] = t
			}
		}
		mu.Unlock()
		deadline := time.Now().Add(b.cfg.drain)
		var st webhookStat
		for {
			st = rc.stat(window, from)
			if st.Undelivered == 0 || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		res.Webhooks = &st
		if st.Undelivered > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%d events sent in the window had not arrived %s after it", st.Undelivered, b.cfg.drain))
		}
	}
	r := b.measureWith(ctx, b.srv, "webhooks", "POST /sandbox/webhooks/endpoints/{id}/test-events", "req/s", b.shape(), send, nil, after)
	return []*result{r}, nil
}

// stat compares the events sent (id → send time) with what arrived; the delivery rate runs from the
// window's start to the last arrival.
func (rc *receiver) stat(sent map[string]time.Time, from time.Time) webhookStat {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	st := webhookStat{Sent: len(sent), Duplicates: rc.dups, BadSignatures: rc.bad}
	var e2e []time.Duration
	var last time.Time
	for id, t := range sent {
		got, ok := rc.got[id]
		if !ok {
			st.Undelivered++
			continue
		}
		st.Delivered++
		e2e = append(e2e, got.Sub(t))
		if got.After(last) {
			last = got
		}
	}
	st.EndToEndMS = latencyOf(e2e)
	if st.Delivered > 0 {
		st.DeliveriesPerSecond = float64(st.Delivered) / last.Sub(from).Seconds()
	}
	return st
}
