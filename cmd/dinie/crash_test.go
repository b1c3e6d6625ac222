package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/webhook"
)

// These tests run the real binary as a child process, so that it can die the way production processes
// die: SIGKILL (no deferred function, no drain) and SIGTERM (a graceful stop).

// dinieBinary is the dinie binary these tests run, built once while any test needs it and removed when
// the last one ends (so no TestMain is needed to clean it up).
var dinieBinary struct {
	mu    sync.Mutex
	dir   string
	path  string
	users int
}

// buildDinie returns the path of a dinie binary built from this package, building it if no running test
// holds one already.
func buildDinie(t *testing.T) string {
	t.Helper()
	b := &dinieBinary
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.path == "" {
		goTool, err := exec.LookPath("go")
		if err != nil {
			t.Fatalf("the go command is needed to build dinie: %v", err)
		}
		dir, err := os.MkdirTemp("", "dinie-crash-test-")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "dinie")
		start := time.Now()
		out, err := exec.Command(goTool, "build", "-o", path, ".").CombinedOutput()
		if err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build -o %s .: %v\n%s", path, err, out)
		}
		t.Logf("built %s in %s", path, time.Since(start).Round(time.Millisecond))
		b.dir, b.path = dir, path
	}
	b.users++
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.users--; b.users == 0 {
			os.RemoveAll(b.dir)
			b.dir, b.path = "", ""
		}
	})
	return b.path
}

// childEnv is the test's environment without DINIE_DB, so a developer's database cannot leak in.
func childEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DINIE_DB=") })
}

// serveProcess is a running `dinie serve` process.
type serveProcess struct {
	cmd    *exec.Cmd
	addr   string
	stderr *serveLog
	exited chan struct{} // closed once the process has been waited for
	err    error         // what Wait returned, once exited is closed
}

// serveLog keeps a child's JSON log and reports the address of its "listening" line.
type serveLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	addr    chan string
}

func (w *serveLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := w.partial[:i]
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.Addr != "" {
			select {
			case w.addr <- rec.Addr:
			default:
			}
		}
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *serveLog) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startServeProcess starts `dinie serve` on a free port of 127.0.0.1 with the given database and data dir and
// waits until it listens. The process is killed when t ends if it still runs.
func startServeProcess(t *testing.T, bin, dsn, dataDir string, extra ...string) *serveProcess {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--data-dir", dataDir}, extra...)
	c := &serveProcess{
		cmd:    exec.Command(bin, args...),
		stderr: &serveLog{addr: make(chan string, 1)},
		exited: make(chan struct{}),
	}
	c.cmd.Env = childEnv()
	c.cmd.Stdout = io.Discard
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		defer close(c.exited)
		c.err = c.cmd.Wait()
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
		if t.Failed() {
			t.Logf("log of dinie serve (pid %d):\n%s", c.cmd.Process.Pid, c.stderr)
		}
	})
	select {
	case c.addr = <-c.stderr.addr:
	case <-c.exited:
		t.Fatalf("dinie serve exited (%v) before listening\nlog:\n%s", c.err, c.stderr)
	case <-time.After(waitLong):
		t.Fatalf("dinie serve did not listen within %s\nlog:\n%s", waitLong, c.stderr)
	}
	return c
}

func (c *serveProcess) url(path string) string { return "http://" + c.addr + path }

// kill SIGKILLs the process and waits for it.
func (c *serveProcess) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill dinie serve: %v", err)
	}
	c.wait(t, waitLong)
	if st, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGKILL {
		t.Fatalf("dinie serve ended with %v, want death by SIGKILL", c.cmd.ProcessState)
	}
}

// terminate sends SIGTERM and returns how long the process took to exit.
func (c *serveProcess) terminate(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM dinie serve: %v", err)
	}
	c.wait(t, limit)
	return time.Since(start)
}

func (c *serveProcess) wait(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(limit):
		t.Fatalf("dinie serve (pid %d) still runs %s later\nlog:\n%s", c.cmd.Process.Pid, limit, c.stderr)
	}
}

// server adapts c to the helpers of main_test.go, which take a *server.
func (c *serveProcess) server() *server { return &server{addr: c.addr} }

// callAPI calls the API with a bearer token and decodes a JSON answer into out (when not nil), failing t
// unless the status is want.
func callAPI(t *testing.T, hc *http.Client, c *serveProcess, token, method, path string, body any, want int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.url(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	status, b := do(t, hc, req)
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// hookReceiver is a partner's webhook endpoint done right: it verifies each delivery's signature, skips a
// webhook-id it has already processed, and otherwise runs its handler, which commits (200) or fails
// (503). While hang is on, the handler blocks until released.
type hookReceiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	secret  string
	hang    bool
	release chan struct{} // closed to let the blocked handlers answer
	// blockedNow is how many handlers are blocked; blockedSeq numbers the ones that ever blocked.
	blockedNow, blockedSeq int
	// arrivals counts the requests with a valid signature, per webhook-id; duplicates those answered
	// without running the handler because the id was processed already.
	arrivals, duplicates map[string]int
	// handled counts, per webhook-id, the handler runs that committed: the number the test pins to one.
	handled map[string]int
	// running counts the handler runs in progress per webhook-id; overlap records any id that had two at
	// once (two attempts of one delivery in flight together).
	running map[string]int
	overlap []string
	// deliveryOf is the delivery_id each event's envelope carried.
	deliveryOf map[string]string
	problems   []string
	releaseOne sync.Once
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{
		release:  make(chan struct{}),
		arrivals: map[string]int{}, duplicates: map[string]int{}, handled: map[string]int{}, running: map[string]int{},
		deliveryOf: map[string]string{},
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	t.Cleanup(r.unblock) // before Close, which waits for the handlers
	return r
}

func (r *hookReceiver) url() string { return r.srv.URL + "/hook" }

func (r *hookReceiver) setSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

func (r *hookReceiver) setHang(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hang = on
}

// unblock lets every blocked handler answer.
func (r *hookReceiver) unblock() { r.releaseOne.Do(func() { close(r.release) }) }

func (r *hookReceiver) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return // a sender that died mid-request: it never sees an answer, so it tries again
	}
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	if req.Method != http.MethodPost || req.URL.Path != "/hook" {
		r.problem("unexpected request %s %s", req.Method, req.URL)
		http.Error(w, "not here", http.StatusNotFound)
		return
	}
	if err := webhook.Verify([]string{secret}, req.Header, body, time.Now()); err != nil {
		r.problem("delivery %s: invalid signature: %v", req.Header.Get(webhook.HeaderID), err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(webhook.HeaderID)
	var env struct {
		ID         string `json:"id"`
		DeliveryID string `json:"delivery_id"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.ID != id || env.DeliveryID == "" {
		r.problem("delivery %s: envelope %s (%v): want id %s and a delivery_id", id, body, err, id)
	}

	r.mu.Lock()
	r.arrivals[id]++
	if prev, ok := r.deliveryOf[id]; ok && prev != env.DeliveryID {
		r.problems = append(r.problems, fmt.Sprintf("event %s came in deliveries %s and %s", id, prev, env.DeliveryID))
	}
	r.deliveryOf[id] = env.DeliveryID
	if r.handled[id] > 0 { // the dedupe: processed already, acknowledge without running the handler
		r.duplicates[id]++
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "duplicate")
		return
	}
	if r.running[id]++; r.running[id] > 1 {
		r.overlap = append(r.overlap, id)
	}
	status := http.StatusOK
	if r.hang {
		// The i-th blocked handler commits when i is even and fails when it is odd: a delivery cut off by
		// the crash must end up processed exactly once either way.
		n := r.blockedSeq
		r.blockedSeq++
		r.blockedNow++
		r.mu.Unlock()
		<-r.release
		r.mu.Lock()
		r.blockedNow--
		if n%2 == 1 {
			status = http.StatusServiceUnavailable
		}
	}
	if status == http.StatusOK {
		r.handled[id]++
	}
	r.running[id]--
	r.mu.Unlock()
	w.WriteHeader(status)
}

// snapshot returns copies of the counters.
func (r *hookReceiver) snapshot() (arrivals, duplicates, handled map[string]int, blockedNow, blockedSeq int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.arrivals), maps.Clone(r.duplicates), maps.Clone(r.handled), r.blockedNow, r.blockedSeq
}

type sentTestEvent struct {
	DeliveryID string `json:"delivery_id"`
	EventID    string `json:"event_id"`
}

type deliveryPage struct {
	Data []struct {
		ID       string `json:"id"`
		EventID  string `json:"event_id"`
		Status   string `json:"status"`
		Attempts []struct {
			ResponseStatus *int    `json:"response_status"`
			Error          *string `json:"error"`
		} `json:"attempts"`
	} `json:"data"`
	HasMore bool `json:"has_more"`
}

// deliveryStatuses lists the endpoint's deliveries: status, attempt count and the last attempt's
// response status by delivery id.
func deliveryStatuses(t *testing.T, hc *http.Client, c *serveProcess, token, endpointID string) (status map[string]string, attempts, last map[string]int) {
	t.Helper()
	var l deliveryPage
	callAPI(t, hc, c, token, http.MethodGet, "/api/v3/webhooks/endpoints/"+endpointID+"/deliveries?limit=100", nil, http.StatusOK, &l)
	if l.HasMore {
		t.Fatalf("the deliveries list has more than 100 items")
	}
	status, attempts, last = map[string]string{}, map[string]int{}, map[string]int{}
	for _, d := range l.Data {
		status[d.ID], attempts[d.ID] = d.Status, len(d.Attempts)
		if n := len(d.Attempts); n > 0 && d.Attempts[n-1].ResponseStatus != nil {
			last[d.ID] = *d.Attempts[n-1].ResponseStatus
		}
	}
	return status, attempts, last
}

// redeliveryWait bounds the wait, after the restart, for the deliveries the crash cut off.
const redeliveryWait = 90 * time.Second

// TestCrashMidDeliveryLosesNothing SIGKILLs dinie serve while deliveries are in flight, restarts it on
// the same database, and checks that every event then reaches a deduplicating receiver exactly once,
// with a valid signature, and that every delivery ends succeeded.
func TestCrashMidDeliveryLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dinie serve as a child process for about 50 s; skipped with -short")
	}
	t.Parallel()
	bin := buildDinie(t)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn, dir := e.DSN(t), filepath.Join(t.TempDir(), "data")
			// --job-rescue-after cannot go below River's job timeout (30 s): serve refuses to start with less.
			// Every job running at the crash (an attempt in flight, or one waiting for a free slot of the
			// endpoint) is rescued by the first run of River's rescuer (on the new leader once the dead one's
			// lease ends, then every 30 s) at least 30 s after the job began, when its delivery's claim has
			// expired too: those deliveries arrive 30 to 65 s after the crash (about 50 s in practice).
			flags := []string{"--job-poll-interval", "50ms", "--job-rescue-after", "30s", "--webhook-retry-scale", "0.001"}
			hc := newClient(t)
			rcv := newHookReceiver(t)

			s1 := startServeProcess(t, bin, dsn, dir, flags...)
			sandbox, _ := readSandboxFile(t, dir)
			token := issueToken(t, hc, s1.server(), sandbox.ClientID, sandbox.ClientSecret)
			var ep createdEndpoint
			callAPI(t, hc, s1, token, http.MethodPost, "/api/v3/webhooks/endpoints",
				map[string]any{"url": rcv.url(), "description": "crash test"}, http.StatusCreated, &ep)
			if !strings.HasPrefix(ep.Secret, webhook.SecretPrefix) {
				t.Fatalf("created endpoint %+v, want a secret", ep)
			}
			rcv.setSecret(ep.Secret)

			send := func(typ string) sentTestEvent {
				var out sentTestEvent
				callAPI(t, hc, s1, token, http.MethodPost, "/api/v3/sandbox/webhooks/endpoints/"+ep.ID+"/test-events",
					map[string]string{"type": typ}, http.StatusAccepted, &out)
				if out.EventID == "" || out.DeliveryID == "" {
					t.Fatalf("test event %s answered %+v, want an event and a delivery id", typ, out)
				}
				return out
			}
			var sent []sentTestEvent

			// A few events delivered before the crash: settled, they must never be attempted again.
			for _, typ := range webhook.EventTypes[:3] {
				sent = append(sent, send(typ))
			}
			settled := sent[:3]
			pollUntil(t, waitLong, "the first deliveries to succeed", func() (bool, string) {
				status, _, _ := deliveryStatuses(t, hc, s1, token, ep.ID)
				for _, te := range settled {
					if status[te.DeliveryID] != "succeeded" {
						return false, fmt.Sprintf("statuses %v", status)
					}
				}
				return true, ""
			})

			// Then ten while the receiver hangs: some in flight when the process dies, the others queued.
			rcv.setHang(true)
			for _, typ := range webhook.EventTypes[3:13] {
				sent = append(sent, send(typ))
			}
			pollUntil(t, waitLong, "a delivery blocked in the receiver", func() (bool, string) {
				_, _, _, now, _ := rcv.snapshot()
				return now >= 1, ""
			})
			time.Sleep(300 * time.Millisecond) // lets the endpoint's other slots fill up too
			s1.kill(t)
			_, _, _, blocked, _ := rcv.snapshot()
			t.Logf("killed dinie serve with %d deliveries blocked in the receiver", blocked)

			// The partner's handlers blocked by the crash now answer (200 or 503, alternately) to a
			// sender that is gone; then the receiver behaves.
			rcv.unblock()
			rcv.setHang(false)
			pollUntil(t, waitLong, "the blocked handlers to finish", func() (bool, string) {
				_, _, _, now, _ := rcv.snapshot()
				return now == 0, fmt.Sprintf("%d still blocked", now)
			})

			restart := time.Now()
			s2 := startServeProcess(t, bin, dsn, dir, flags...)
			pollUntil(t, redeliveryWait, "every event to be processed and every delivery to succeed", func() (bool, string) {
				_, _, handled, _, _ := rcv.snapshot()
				status, _, _ := deliveryStatuses(t, hc, s2, token, ep.ID)
				var missing []string
				for _, te := range sent {
					if handled[te.EventID] == 0 || status[te.DeliveryID] != "succeeded" {
						missing = append(missing, fmt.Sprintf("%s (%s, handled %d)", te.EventID, status[te.DeliveryID], handled[te.EventID]))
					}
				}
				return len(missing) == 0, fmt.Sprintf("waiting for %v", missing)
			})
			t.Logf("all %d events processed %s after the restart", len(sent), time.Since(restart).Round(100*time.Millisecond))

			arrivals, duplicates, handled, _, blockedTotal := rcv.snapshot()
			rcv.mu.Lock()
			problems, overlap, deliveryOf := slices.Clone(rcv.problems), slices.Clone(rcv.overlap), maps.Clone(rcv.deliveryOf)
			rcv.mu.Unlock()
			for _, p := range problems {
				t.Errorf("receiver: %s", p)
			}
			if len(overlap) > 0 {
				t.Errorf("events handled by two attempts at once: %v", overlap)
			}
			if blockedTotal == 0 {
				t.Errorf("no delivery was in flight when the process died: the test did not test the crash")
			}
			status, attempts, last := deliveryStatuses(t, hc, s2, token, ep.ID)
			if len(status) != len(sent) {
				t.Errorf("the endpoint lists %d deliveries, want %d: %v", len(status), len(sent), status)
			}
			want := map[string]int{}
			for _, te := range sent {
				want[te.EventID] = 1
				if got := deliveryOf[te.EventID]; got != te.DeliveryID {
					t.Errorf("event %s arrived in delivery %q, want %s", te.EventID, got, te.DeliveryID)
				}
				if status[te.DeliveryID] != "succeeded" || last[te.DeliveryID] != http.StatusOK {
					t.Errorf("delivery %s of event %s is %q, its last attempt answered %d; want succeeded, 200",
						te.DeliveryID, te.EventID, status[te.DeliveryID], last[te.DeliveryID])
				}
			}
			if d := cmp.Diff(want, handled); d != "" {
				t.Errorf("handler runs per event after dedupe (-want +got):\n%s", d)
			}
			// The deliveries settled before the crash are not attempted again.
			for _, te := range settled {
				if arrivals[te.EventID] != 1 || attempts[te.DeliveryID] != 1 {
					t.Errorf("event %s, delivered before the crash, arrived %d times in %d attempts after it; want 1 and 1",
						te.EventID, arrivals[te.EventID], attempts[te.DeliveryID])
				}
			}
			t.Logf("arrivals %v; duplicates acknowledged by the dedupe %v; %d handlers blocked by the crash",
				arrivals, duplicates, blockedTotal)

			hc.CloseIdleConnections()
			if d := s2.terminate(t, waitLong); s2.cmd.ProcessState.ExitCode() != 0 {
				t.Errorf("after SIGTERM dinie serve exited with %v after %s, want 0", s2.cmd.ProcessState, d)
			}
		})
	}
}

// TestSIGTERMExitsCleanly stops a running dinie serve with SIGTERM: it exits 0 within the shutdown
// timeout, idle or with a webhook delivery in flight.
func TestSIGTERMExitsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs dinie serve as a child process; skipped with -short")
	}
	t.Parallel()
	bin := buildDinie(t)
	const drain = 5 * time.Second
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			for _, inFlight := range []bool{false, true} {
				t.Run(map[bool]string{false: "idle", true: "delivery in flight"}[inFlight], func(t *testing.T) {
					t.Parallel()
					dsn, dir := e.DSN(t), t.TempDir()
					s := startServeProcess(t, bin, dsn, dir, "--shutdown-timeout", drain.String(), "--job-poll-interval", "50ms")
					hc := newClient(t)
					sandbox, _ := readSandboxFile(t, dir)
					token := issueToken(t, hc, s.server(), sandbox.ClientID, sandbox.ClientSecret)
					var rcv *hookReceiver
					if inFlight {
						rcv = newHookReceiver(t)
						var ep createdEndpoint
						callAPI(t, hc, s, token, http.MethodPost, "/api/v3/webhooks/endpoints",
							map[string]any{"url": rcv.url()}, http.StatusCreated, &ep)
						rcv.setSecret(ep.Secret)
						rcv.setHang(true)
						callAPI(t, hc, s, token, http.MethodPost, "/api/v3/sandbox/webhooks/endpoints/"+ep.ID+"/test-events",
							map[string]string{"type": "loan.created"}, http.StatusAccepted, nil)
						pollUntil(t, waitLong, "the delivery to reach the receiver", func() (bool, string) {
							_, _, _, now, _ := rcv.snapshot()
							return now == 1, ""
						})
					}
					hc.CloseIdleConnections()
					if rcv != nil {
						// The receiver answers soon after the signal, well within the drain, so the graceful
						// stop lets the attempt finish and be recorded before the process exits 0.
						time.AfterFunc(500*time.Millisecond, rcv.unblock)
					}
					d := s.terminate(t, drain+10*time.Second)
					if code := s.cmd.ProcessState.ExitCode(); code != 0 {
						t.Errorf("after SIGTERM dinie serve exited with %v, want exit status 0\nlog:\n%s", s.cmd.ProcessState, s.stderr)
					}
					if d > drain+2*time.Second {
						t.Errorf("dinie serve took %s to exit after SIGTERM, want at most about --shutdown-timeout %s", d, drain)
					}
					log := s.stderr.String()
					if rcv != nil && !strings.Contains(log, `"outcome":"succeeded"`) {
						// A graceful stop lets the delivery in flight finish and be recorded.
						t.Errorf("the attempt in flight at SIGTERM was not recorded as succeeded:\n%s", log)
					}
					for _, msg := range []string{`"msg":"shutting down: draining in-flight requests"`, `"msg":"stopped"`} {
						if !strings.Contains(log, msg) {
							t.Errorf("the log lacks %s:\n%s", msg, log)
						}
					}
				})
			}
		})
	}
}

// createdEndpoint is the part of an endpoint's wire shape these tests read.
type createdEndpoint struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	Status string `json:"status"`
}

// pollUntil polls cond every 50 ms until it holds, failing t after limit with cond's last explanation.
func pollUntil(t *testing.T, limit time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		ok, why := cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waited %s for %s: %s", limit, what, why)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
