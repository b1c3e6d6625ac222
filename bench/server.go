package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process: the dinie server or the ceiling server.
type proc struct {
	cmd     *exec.Cmd
	url     string // http://host:port
	logPath string // its stderr
	done    chan struct{}
	waitErr error

	// dinie only
	dsn, dataDir, bin      string
	clientID, clientSecret string
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits, then kills.
func (p *proc) stop(out io.Writer) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		fmt.Fprintln(out, "bench: the server did not stop within 15s of SIGTERM; killing it")
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// start runs cmd with stderr to logPath and, for a child that dies with us, SIGTERM on our exit.
func start(cmd *exec.Cmd, logPath string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	return p, nil
}

// moduleRoot is the folder of this module's go.mod, looked for from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/dinie-oss/dinie\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the tool inside the dinie module (no go.mod of github.com/dinie-oss/dinie above the working directory)")
		}
		dir = parent
	}
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// startServer builds ./cmd/dinie into tmp and runs `dinie serve` on a fresh data dir there.
func startServer(ctx context.Context, out io.Writer, tmp string, cfg config) (*proc, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "dinie")
	fmt.Fprintln(out, "bench: building ./cmd/dinie")
	build := exec.CommandContext(ctx, goTool(), "build", "-o", bin, "./cmd/dinie")
	build.Dir, build.Stdout, build.Stderr = root, out, out
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/dinie: %w", err)
	}
	dataDir := filepath.Join(tmp, "data")
	dsn := cfg.db
	if dsn == "" {
		dsn = filepath.Join(dataDir, "dinie.db") // explicit, so that a DINIE_DB in the environment is not used
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--db", dsn,
		"--rate-limit", "1e9", "--rate-burst", "1000000000", "--shutdown-timeout", "10s"}
	if cfg.jobPoll != "" {
		args = append(args, "--job-poll-interval", cfg.jobPoll)
	}
	if cfg.noJobs {
		args = append(args, "--workers=false")
	}
	args = append(args, cfg.serverArgs...)
	p, err := start(exec.Command(bin, args...), filepath.Join(tmp, "server.log"))
	if err != nil {
		return nil, err
	}
	p.dsn, p.dataDir, p.bin = dsn, dataDir, bin
	addr, err := p.waitListening(ctx, 2*time.Minute)
	if err != nil {
		p.stop(out)
		return nil, err
	}
	p.url = "http://" + addr
	engine := "SQLite"
	if strings.HasPrefix(dsn, "postgres") {
		engine = "PostgreSQL"
	}
	fmt.Fprintf(out, "bench: dinie serve (pid %d, %s) listening on %s; log %s\n", p.pid(), engine, p.url, p.logPath)

	credFile := filepath.Join(dataDir, "sandbox-credentials.json")
	if _, err := os.Stat(credFile); err == nil {
		p.clientID, p.clientSecret, err = readCredentials(credFile)
		if err != nil {
			p.stop(out)
			return nil, err
		}
		return p, nil
	}
	// A database that already had partners gets no Sandbox: make a partner of our own.
	cmd := exec.CommandContext(ctx, bin, "partners", "create", "--name", "bench "+time.Now().Format(time.RFC3339), "--json",
		"--data-dir", dataDir, "--db", dsn)
	cmd.Stderr = out
	b, err := cmd.Output()
	var po struct {
		Credentials map[string]struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		} `json:"credentials"`
	}
	if err == nil {
		err = json.Unmarshal(b, &po)
	}
	if err != nil || po.Credentials["test"].ClientID == "" {
		p.stop(out)
		return nil, fmt.Errorf("no sandbox credentials and `dinie partners create` failed: %v", err)
	}
	p.clientID, p.clientSecret = po.Credentials["test"].ClientID, po.Credentials["test"].ClientSecret
	return p, nil
}

// waitListening follows the server's log until it says where it listens.
func (p *proc) waitListening(ctx context.Context, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(p.logPath)
		for line := range bytes.Lines(b) {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(line, &l) == nil && l.Msg == "listening" && l.Addr != "" {
				return l.Addr, nil
			}
		}
		if p.exited() {
			return "", fmt.Errorf("dinie serve exited (%v):\n%s", p.waitErr, tail(b, 20))
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("dinie serve did not listen within %s (log %s)", timeout, p.logPath)
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func readCredentials(path string) (id, secret string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.ClientID == "" {
		return "", "", fmt.Errorf("%s: no client_id (%v)", path, err)
	}
	return c.ClientID, c.ClientSecret, nil
}

// ceilingEnv, when set, makes this binary the ceiling server instead of the tool.
const ceilingEnv = "DINIE_BENCH_CEILING"

var ceilingBody = []byte(`{"ok":true}` + "\n")

// serveCeiling is the bare net/http server: it prints its address and answers every request with a tiny
// JSON document, reading any body first.
func serveCeiling() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(ceilingBody)))
		_, _ = w.Write(ceilingBody)
	}))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// startCeiling runs this very binary again as the ceiling server, a separate process like the real one.
func startCeiling(ctx context.Context, tmp string) (*proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), ceilingEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p, err := start(cmd, filepath.Join(tmp, "ceiling.log"))
	if err != nil {
		return nil, err
	}
	type line struct {
		s   string
		err error
	}
	lc := make(chan line, 1)
	go func() {
		s, err := bufio.NewReader(stdout).ReadString('\n')
		lc <- line{strings.TrimSpace(s), err}
	}()
	select {
	case l := <-lc:
		if l.err != nil {
			p.stop(io.Discard)
			return nil, fmt.Errorf("ceiling server: %v", l.err)
		}
		p.url = "http://" + l.s
		return p, nil
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	p.stop(io.Discard)
	return nil, errors.New("the ceiling server did not start")
}

// monitor samples a child's memory during one measurement and remembers where its log stood.
type monitor struct {
	p         *proc
	logFrom   int64
	stopc     chan struct{}
	wg        sync.WaitGroup
	mu        sync.Mutex
	peakBytes int64
}

// watch starts monitoring p (nil: nothing to watch, an external server). It resets the kernel's peak-RSS
// mark (VmHWM) through /proc/<pid>/clear_refs, then samples VmRSS and VmHWM every 100 ms.
func watch(p *proc) *monitor {
	if p == nil {
		return nil
	}
	m := &monitor{p: p, stopc: make(chan struct{})}
	if fi, err := os.Stat(p.logPath); err == nil {
		m.logFrom = fi.Size()
	}
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid()), []byte("5"), 0)
	m.sample()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stopc:
				return
			case <-t.C:
				m.sample()
			}
		}
	}()
	return m
}

func (m *monitor) sample() {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.p.pid()))
	if err != nil {
		return
	}
	var peak int64
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err == nil {
			peak = max(peak, kb*1024)
		}
	}
	m.mu.Lock()
	m.peakBytes = max(m.peakBytes, peak)
	m.mu.Unlock()
}

// finish stops sampling and records the peak RSS and, for the dinie server, what its log said meanwhile.
func (m *monitor) finish(r *result) {
	if m == nil {
		return
	}
	m.sample()
	close(m.stopc)
	m.wg.Wait()
	peak := m.peakBytes
	r.PeakRSSBytes = &peak
	if m.p.dsn != "" {
		r.ServerLog = m.p.logSummary(m.logFrom, -1)
	}
	if m.p.exited() {
		r.Notes = append(r.Notes, fmt.Sprintf("the server process exited: %v", m.p.waitErr))
	}
}

// logSummary counts the ERROR and WARN records (and lines that are not JSON, such as a panic's trace) of
// the server's log between the byte offsets from and to (-1: the end).
type logSummary struct {
	Errors   int      `json:"errors"`
	Warnings int      `json:"warnings"`
	Other    int      `json:"other_lines"`
	Samples  []string `json:"samples,omitempty"`
}

func (p *proc) logSummary(from, to int64) *logSummary {
	f, err := os.Open(p.logPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil
	}
	var rd io.Reader = f
	if to >= 0 {
		rd = io.LimitReader(f, to-from)
	}
	s := &logSummary{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		isErr, isWarn := bytes.Contains(line, []byte(`"level":"ERROR"`)), bytes.Contains(line, []byte(`"level":"WARN"`))
		var rec map[string]any
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			continue
		case isErr || isWarn:
			if isErr {
				s.Errors++
			} else {
				s.Warnings++
			}
			if json.Unmarshal(line, &rec) != nil {
				rec = map[string]any{"msg": string(line)}
			}
		case line[0] != '{':
			s.Other++
			rec = map[string]any{"msg": string(line)}
		default:
			continue
		}
		msg := fmt.Sprint(rec["msg"])
		if e, ok := rec["error"]; ok {
			msg += ": " + fmt.Sprint(e)
		}
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		if !seen[msg] && len(s.Samples) < 5 {
			seen[msg] = true
			s.Samples = append(s.Samples, msg)
		}
	}
	return s
}
