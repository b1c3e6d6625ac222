package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// waitLong bounds every wait on a server in these tests; nothing should come near it.
const waitLong = 30 * time.Second

var (
	partnerIDRe    = regexp.MustCompile(`^prt_[0-9a-f]{32}$`)
	clientIDRe     = map[string]*regexp.Regexp{"test": regexp.MustCompile(`^dinie_ci_test_[0-9a-f]{32}$`), "live": regexp.MustCompile(`^dinie_ci_live_[0-9a-f]{32}$`)}
	clientSecretRe = map[string]*regexp.Regexp{"test": regexp.MustCompile(`^dinie_cs_test_[A-Za-z0-9]{40}$`), "live": regexp.MustCompile(`^dinie_cs_live_[A-Za-z0-9]{40}$`)}
	migrateOutRe   = regexp.MustCompile(`^schema at ([0-9]{4}_[a-z0-9_]+) \((sqlite|postgres)\)\n$`)
)

// syncBuffer is an io.Writer safe for the server goroutine to write while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// noEnv is a Getenv that sees no variable, so the developer's DINIE_DB cannot leak into a test.
func noEnv(string) string { return "" }

// newMain returns a Main writing to fresh buffers.
func newMain(getenv func(string) string) (*Main, *syncBuffer, *syncBuffer) {
	if getenv == nil {
		getenv = noEnv
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	return &Main{Stdout: stdout, Stderr: stderr, Getenv: getenv}, stdout, stderr
}

// run runs one command to completion.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runEnv(t, noEnv, args...)
}

func runEnv(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	m, out, errOut := newMain(getenv)
	err = m.Run(t.Context(), args)
	return out.String(), errOut.String(), err
}

// mustRun runs a command that must succeed and returns its stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, err := run(t, args...)
	if err != nil {
		t.Fatalf("Run(%q) = %v\nstderr:\n%s", args, err, stderr)
	}
	return stdout
}

// decodeOne decodes the single JSON value of out into v, failing unless out holds exactly one value.
// Unknown fields are an error, so v also pins the shape.
func decodeOne(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("output %q holds more than one JSON value: Decode = %v (%s), want io.EOF", out, err, extra)
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(v); err != nil {
		t.Fatalf("decode %s into %T: %v", raw, v, err)
	}
}

type credOut struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type createdPartner struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Credentials map[string]credOut `json:"credentials"`
}

type listedPartner struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt int64  `json:"created_at"`
}

// checkCred checks a client id and secret of environment env.
func checkCred(t *testing.T, env string, c credOut) {
	t.Helper()
	if !clientIDRe[env].MatchString(c.ClientID) {
		t.Errorf("%s client_id = %q, want it to match %s", env, c.ClientID, clientIDRe[env])
	}
	if !clientSecretRe[env].MatchString(c.ClientSecret) {
		t.Errorf("%s client_secret = %q, want it to match %s", env, c.ClientSecret, clientSecretRe[env])
	}
}

// createPartner runs partners create --json and checks its output.
func createPartner(t *testing.T, db []string, name string) createdPartner {
	t.Helper()
	out := mustRun(t, append([]string{"partners", "create", "--name", name, "--json"}, db...)...)
	var p createdPartner
	decodeOne(t, out, &p)
	if !partnerIDRe.MatchString(p.ID) {
		t.Errorf("partner id = %q, want it to match %s", p.ID, partnerIDRe)
	}
	if p.Name != strings.TrimSpace(name) {
		t.Errorf("partner name = %q, want %q", p.Name, strings.TrimSpace(name))
	}
	envs := make([]string, 0, len(p.Credentials))
	for env := range p.Credentials {
		envs = append(envs, env)
	}
	if diff := cmp.Diff([]string{"live", "test"}, envs, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Fatalf("credential environments (-want +got):\n%s", diff)
	}
	for env, c := range p.Credentials {
		checkCred(t, env, c)
	}
	if p.Credentials["test"].ClientSecret == p.Credentials["live"].ClientSecret {
		t.Errorf("the test and live credentials share their secret")
	}
	return p
}

func listPartners(t *testing.T, db []string) []listedPartner {
	t.Helper()
	out := mustRun(t, append([]string{"partners", "list", "--json"}, db...)...)
	var ps []listedPartner
	decodeOne(t, out, &ps)
	if ps == nil {
		t.Fatalf("partners list --json = %q, want a JSON array", out)
	}
	return ps
}

// dbFlagsFor returns the flags pointing a command at a fresh database of e and a fresh data dir.
func dbFlagsFor(t *testing.T, e storetest.Engine) []string {
	t.Helper()
	return []string{"--db", e.DSN(t), "--data-dir", t.TempDir()}
}

func TestPartnersCreateAndList(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := dbFlagsFor(t, e)
			if got := listPartners(t, db); len(got) != 0 {
				t.Fatalf("partners list on a new database = %+v, want []", got)
			}
			before := time.Now().Add(-time.Second).Unix()
			acme := createPartner(t, db, "Acme")
			beta := createPartner(t, db, "  Beta Ltda  ")
			after := time.Now().Add(time.Second).Unix()
			if acme.ID == beta.ID {
				t.Fatalf("two partners got the same id %s", acme.ID)
			}

			got := listPartners(t, db)
			want := []listedPartner{{ID: acme.ID, Name: "Acme"}, {ID: beta.ID, Name: "Beta Ltda"}}
			opts := cmp.Options{
				cmpopts.IgnoreFields(listedPartner{}, "CreatedAt"),
				cmpopts.SortSlices(func(a, b listedPartner) bool { return a.ID < b.ID }),
			}
			if diff := cmp.Diff(want, got, opts); diff != "" {
				t.Errorf("partners list --json (-want +got):\n%s", diff)
			}
			for _, p := range got {
				if p.CreatedAt < before || p.CreatedAt > after {
					t.Errorf("partner %s created_at = %d, want between %d and %d", p.ID, p.CreatedAt, before, after)
				}
			}

			// The text forms name what was created.
			text := mustRun(t, append([]string{"partners", "list"}, db...)...)
			for _, s := range []string{"ID", "NAME", acme.ID, "Acme", beta.ID, "Beta Ltda"} {
				if !strings.Contains(text, s) {
					t.Errorf("partners list (text) = %q, want it to contain %q", text, s)
				}
			}
		})
	}
}

func TestPartnersCreateText(t *testing.T) {
	t.Parallel()
	lineRe := regexp.MustCompile(`(?m)^  (test|live)  client_id=(\S+)  client_secret=(\S+)$`)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := dbFlagsFor(t, e)
			out := mustRun(t, append([]string{"partners", "create", "--name", "Acme"}, db...)...)
			if !regexp.MustCompile(`^partner prt_[0-9a-f]{32} \(Acme\)\n`).MatchString(out) {
				t.Errorf("partners create (text) = %q, want it to start with the partner line", out)
			}
			m := lineRe.FindAllStringSubmatch(out, -1)
			if len(m) != 2 {
				t.Fatalf("partners create (text) = %q, want one test and one live credential line", out)
			}
			for _, l := range m {
				checkCred(t, l[1], credOut{ClientID: l[2], ClientSecret: l[3]})
			}
		})
	}
}

// TestPartnersCreateDBFromEnv checks that DINIE_DB picks the database when --db is absent.
func TestPartnersCreateDBFromEnv(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn, dir := e.DSN(t), t.TempDir()
			getenv := func(k string) string {
				if k == "DINIE_DB" {
					return dsn
				}
				return ""
			}
			out, stderr, err := runEnv(t, getenv, "partners", "create", "--name", "Acme", "--json", "--data-dir", dir)
			if err != nil {
				t.Fatalf("partners create with DINIE_DB = %v\nstderr:\n%s", err, stderr)
			}
			var p createdPartner
			decodeOne(t, out, &p)
			got := listPartners(t, []string{"--db", dsn, "--data-dir", t.TempDir()})
			if len(got) != 1 || got[0].ID != p.ID {
				t.Errorf("partners list on $DINIE_DB = %+v, want only %s", got, p.ID)
			}
			if _, err := os.Stat(filepath.Join(dir, "dinie.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("with DINIE_DB set, %s/dinie.db: Stat = %v, want it not to exist", dir, err)
			}
		})
	}
}

func TestPartnersCreateNeedsName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"missing", nil},
		{"empty", []string{"--name", ""}},
		{"blank", []string{"--name", "   "}},
		{"tabs and newlines", []string{"--name", "\t\n"}},
		{"too long", []string{"--name", strings.Repeat("a", 201)}},
	}
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					db := dbFlagsFor(t, e)
					args := append(append([]string{"partners", "create", "--json"}, tt.args...), db...)
					stdout, _, err := run(t, args...)
					if err == nil {
						t.Fatalf("Run(%q) = nil, want an error", args)
					}
					if !strings.Contains(err.Error(), "name") {
						t.Errorf("Run(%q) = %v, want an error about the name", args, err)
					}
					if stdout != "" {
						t.Errorf("Run(%q) printed %q, want nothing", args, stdout)
					}
					if got := listPartners(t, db); len(got) != 0 {
						t.Errorf("after the failed create, partners list = %+v, want []", got)
					}
				})
			}
		})
	}
}

func TestCredentialsCreate(t *testing.T) {
	t.Parallel()
	const unknownPartner = "prt_00000000000000000000000000000000"
	tests := []struct {
		name    string
		args    func(partnerID string) []string
		env     string // of the credential made; "" when the command must fail
		wantErr string
	}{
		{"live", func(p string) []string { return []string{"--partner", p, "--env", "live"} }, "live", ""},
		{"test with name and scope", func(p string) []string {
			return []string{"--partner", p, "--env", "test", "--name", "KYC app", "--scope", "biometrics:exchange"}
		}, "test", ""},
		{"unknown partner", func(string) []string { return []string{"--partner", unknownPartner, "--env", "live"} }, "", "no partner"},
		{"missing partner", func(string) []string { return []string{"--env", "live"} }, "", "no partner"},
		{"bad env", func(p string) []string { return []string{"--partner", p, "--env", "prod"} }, "", "--env"},
		{"upper-case env", func(p string) []string { return []string{"--partner", p, "--env", "LIVE"} }, "", "--env"},
		{"missing env", func(p string) []string { return []string{"--partner", p} }, "", "--env"},
		{"unknown scope", func(p string) []string { return []string{"--partner", p, "--env", "live", "--scope", "admin"} }, "", "scope"},
	}
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := dbFlagsFor(t, e)
			p := createPartner(t, db, "Acme")
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					args := append(append([]string{"credentials", "create", "--json"}, tt.args(p.ID)...), db...)
					stdout, stderr, err := run(t, args...)
					if tt.env == "" {
						if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
							t.Errorf("Run(%q) = %v, want an error containing %q", args, err, tt.wantErr)
						}
						if stdout != "" {
							t.Errorf("Run(%q) printed %q, want nothing", args, stdout)
						}
						return
					}
					if err != nil {
						t.Fatalf("Run(%q) = %v\nstderr:\n%s", args, err, stderr)
					}
					var c credOut
					decodeOne(t, stdout, &c)
					checkCred(t, tt.env, c)
					if c.ClientID == p.Credentials[tt.env].ClientID {
						t.Errorf("credentials create returned the partner's existing credential %s", c.ClientID)
					}
				})
			}
		})
	}
}

func TestCredentialsCreateText(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := dbFlagsFor(t, e)
			p := createPartner(t, db, "Acme")
			out := mustRun(t, append([]string{"credentials", "create", "--partner", p.ID, "--env", "live"}, db...)...)
			m := regexp.MustCompile(`^client_id=(\S+)\nclient_secret=(\S+)\n`).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("credentials create (text) = %q, want client_id= and client_secret= lines", out)
			}
			checkCred(t, "live", credOut{ClientID: m[1], ClientSecret: m[2]})
		})
	}
}

func TestCredentialsRevoke(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := dbFlagsFor(t, e)
			p := createPartner(t, db, "Acme")
			live1, test1 := p.Credentials["live"].ClientID, p.Credentials["test"].ClientID
			var live2 credOut
			decodeOne(t, mustRun(t, append([]string{"credentials", "create", "--partner", p.ID, "--env", "live", "--json"}, db...)...), &live2)
			var live3 string // made by a step below

			// The steps share one database, so they run in order.
			steps := []struct {
				name    string
				args    func() []string
				wantOut string // when it must succeed
				wantErr string // when it must fail
			}{
				{"one of two live", func() []string { return []string{live2.ClientID} }, "revoked " + live2.ClientID + "\n", ""},
				{"again (idempotent)", func() []string { return []string{live2.ClientID} }, "revoked " + live2.ClientID + "\n", ""},
				{"last active live", func() []string { return []string{live1} }, "", "last_active_credential"},
				{"last active test", func() []string { return []string{test1} }, "", "last_active_credential"},
				{"unknown id", func() []string { return []string{"dinie_ci_live_00000000000000000000000000000000"} }, "", "no credential"},
				{"not a client id", func() []string { return []string{"nonsense"} }, "", "no credential"},
				{"no id", func() []string { return nil }, "", "exactly one CLIENT_ID"},
				{"two ids", func() []string { return []string{live1, test1} }, "", "exactly one CLIENT_ID"},
				{"after a new live one, the first live", func() []string {
					var c credOut
					decodeOne(t, mustRun(t, append([]string{"credentials", "create", "--partner", p.ID, "--env", "live", "--json"}, db...)...), &c)
					live3 = c.ClientID
					return []string{live1}
				}, "revoked " + live1 + "\n", ""},
				{"then the new one is the last", func() []string { return []string{live3} }, "", "last_active_credential"},
			}
			for _, s := range steps {
				args := append(append([]string{"credentials", "revoke"}, db...), s.args()...)
				stdout, stderr, err := run(t, args...)
				if s.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), s.wantErr) {
						t.Errorf("%s: Run(%q) = %v, want an error containing %q", s.name, args, err, s.wantErr)
					}
					if stdout != "" {
						t.Errorf("%s: Run(%q) printed %q, want nothing", s.name, args, stdout)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: Run(%q) = %v\nstderr:\n%s", s.name, args, err, stderr)
					continue
				}
				if stdout != s.wantOut {
					t.Errorf("%s: Run(%q) printed %q, want %q", s.name, args, stdout, s.wantOut)
				}
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := dbFlagsFor(t, e)
			first := mustRun(t, append([]string{"migrate"}, db...)...)
			m := migrateOutRe.FindStringSubmatch(first)
			if m == nil {
				t.Fatalf("migrate printed %q, want it to match %s", first, migrateOutRe)
			}
			if m[2] != e.Name {
				t.Errorf("migrate printed engine %q, want %q", m[2], e.Name)
			}
			if second := mustRun(t, append([]string{"migrate"}, db...)...); second != first {
				t.Errorf("second migrate printed %q, want the same as the first, %q", second, first)
			}
			// Migrating a database in use keeps its data.
			p := createPartner(t, db, "Acme")
			if third := mustRun(t, append([]string{"migrate"}, db...)...); third != first {
				t.Errorf("migrate after use printed %q, want %q", third, first)
			}
			if got := listPartners(t, db); len(got) != 1 || got[0].ID != p.ID {
				t.Errorf("after migrate, partners list = %+v, want only %s", got, p.ID)
			}
		})
	}
}

func TestRunCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantErr    string // "" when Run must return nil
		wantHelp   bool   // the error must be flag.ErrHelp
		wantStdout string // a substring of stdout
		wantStderr string // a substring of stderr
	}{
		{name: "no command", args: nil, wantErr: "no command", wantStderr: "usage: dinie"},
		{name: "unknown command", args: []string{"bogus"}, wantErr: `unknown command "bogus"`, wantStderr: "usage: dinie"},
		{name: "help", args: []string{"help"}, wantStdout: "usage: dinie"},
		{name: "-h", args: []string{"-h"}, wantStdout: "usage: dinie"},
		{name: "--help", args: []string{"--help"}, wantStdout: "usage: dinie"},
		{name: "partners alone", args: []string{"partners"}, wantErr: "want create or list"},
		{name: "partners unknown", args: []string{"partners", "delete"}, wantErr: `unknown command "delete"`},
		{name: "credentials alone", args: []string{"credentials"}, wantErr: "want create or revoke"},
		{name: "credentials unknown", args: []string{"credentials", "list"}, wantErr: `unknown command "list"`},
		{name: "unknown flag", args: []string{"partners", "list", "--bogus"}, wantErr: "bogus", wantStderr: "-json"},
		{name: "subcommand -h", args: []string{"partners", "create", "-h"}, wantHelp: true, wantStderr: "-name"},
		{name: "serve -h", args: []string{"serve", "-h"}, wantHelp: true, wantStderr: "-shutdown-timeout"},
	}
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					args := tt.args
					if len(args) > 1 {
						// A database to reach if the command wrongly went ahead.
						args = append(append([]string(nil), args...), dbFlagsFor(t, e)...)
					}
					stdout, stderr, err := run(t, args...)
					switch {
					case tt.wantHelp:
						if !errors.Is(err, flag.ErrHelp) {
							t.Errorf("Run(%q) = %v, want flag.ErrHelp", args, err)
						}
					case tt.wantErr == "":
						if err != nil {
							t.Errorf("Run(%q) = %v, want nil", args, err)
						}
					default:
						if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
							t.Errorf("Run(%q) = %v, want an error containing %q", args, err, tt.wantErr)
						}
					}
					if !strings.Contains(stdout, tt.wantStdout) {
						t.Errorf("Run(%q) stdout = %q, want it to contain %q", args, stdout, tt.wantStdout)
					}
					if !strings.Contains(stderr, tt.wantStderr) {
						t.Errorf("Run(%q) stderr = %q, want it to contain %q", args, stderr, tt.wantStderr)
					}
					if tt.wantStdout == "" && stdout != "" {
						t.Errorf("Run(%q) stdout = %q, want nothing", args, stdout)
					}
				})
			}
		})
	}
}

// server is a running "dinie serve".
type server struct {
	addr           string
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	exited         chan struct{} // closed when Run returned
	err            error         // what Run returned, once exited is closed
}

// startServe runs serve on a free port of 127.0.0.1 and waits until it accepts connections. The server
// is stopped when t ends, if the test did not stop it.
func startServe(t *testing.T, dsn, dataDir string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m, stdout, stderr := newMain(nil)
	ready := make(chan string, 1)
	m.Ready = func(addr string) { ready <- addr }
	s := &server{stdout: stdout, stderr: stderr, cancel: cancel, exited: make(chan struct{})}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--db", dsn}, extra...)
	go func() {
		defer close(s.exited)
		s.err = m.Run(ctx, args)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.exited:
		case <-time.After(waitLong):
			t.Errorf("serve did not stop within %s of its context ending", waitLong)
		}
	})
	select {
	case s.addr = <-ready:
	case <-s.exited:
		t.Fatalf("serve returned %v before it was ready\nstderr:\n%s", s.err, stderr)
	case <-time.After(waitLong):
		t.Fatalf("serve was not ready within %s\nstderr:\n%s", waitLong, stderr)
	}
	return s
}

// stop cancels the server's context and returns what Run returned, and how long it took.
func (s *server) stop(t *testing.T) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	s.cancel()
	select {
	case <-s.exited:
		return time.Since(start), s.err
	case <-time.After(waitLong):
		t.Fatalf("serve did not return within %s of its context ending\nstderr:\n%s", waitLong, s.stderr)
		return 0, nil
	}
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// newClient returns an HTTP client of its own, closed when t ends.
func newClient(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: waitLong}
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// postToken calls POST /api/v3/auth/token as the JS SDK does and returns the status and body.
func postToken(t *testing.T, c *http.Client, s *server, clientID, secret string) (int, []byte) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req, err := http.NewRequest(http.MethodPost, s.url("/api/v3/auth/token"), strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(clientID, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

// issueToken gets a token and checks the answer's shape.
func issueToken(t *testing.T, c *http.Client, s *server, clientID, secret string) string {
	t.Helper()
	status, body := postToken(t, c, s, clientID, secret)
	if status != http.StatusOK {
		t.Fatalf("POST /api/v3/auth/token = %d %s, want 200", status, body)
	}
	var tok tokenResponse
	decodeOne(t, string(body), &tok)
	if !strings.HasPrefix(tok.AccessToken, "dinie_at_") {
		t.Errorf("access_token = %q, want it to start with dinie_at_", tok.AccessToken)
	}
	if diff := cmp.Diff(tokenResponse{AccessToken: tok.AccessToken, TokenType: "Bearer", ExpiresIn: 3600}, tok); diff != "" {
		t.Errorf("token response (-want +got):\n%s", diff)
	}
	return tok.AccessToken
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, body
}

type credentialJSON struct {
	ID         string `json:"id"`
	ClientID   string `json:"client_id"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	LastUsedAt *int64 `json:"last_used_at"`
	ExpiresAt  *int64 `json:"expires_at"`
	CreatedAt  int64  `json:"created_at"`
	UpdatedAt  int64  `json:"updated_at"`
}

type credentialList struct {
	Data    []credentialJSON `json:"data"`
	HasMore bool             `json:"has_more"`
}

// listCredentials calls GET /api/v3/auth/credentials with token.
func listCredentials(t *testing.T, c *http.Client, s *server, token string) credentialList {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url("/api/v3/auth/credentials"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	status, body := do(t, c, req)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v3/auth/credentials = %d %s, want 200", status, body)
	}
	var l credentialList
	decodeOne(t, string(body), &l) // unknown fields fail: no client_secret in a listing
	return l
}

// checkSandboxListed checks that l is exactly the sandbox credential, active.
func checkSandboxListed(t *testing.T, l credentialList, clientID string) {
	t.Helper()
	want := credentialList{Data: []credentialJSON{{ID: clientID, ClientID: clientID, Name: "Sandbox", Status: "active"}}}
	opts := cmpopts.IgnoreFields(credentialJSON{}, "LastUsedAt", "CreatedAt", "UpdatedAt")
	if diff := cmp.Diff(want, l, opts); diff != "" {
		t.Errorf("GET /api/v3/auth/credentials (-want +got):\n%s", diff)
	}
}

// readSandboxFile reads <dir>/sandbox-credentials.json, checking its mode and shape.
func readSandboxFile(t *testing.T, dir string) (credOut, []byte) {
	t.Helper()
	path := filepath.Join(dir, "sandbox-credentials.json")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the sandbox credentials file: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %#o, want 0600", path, perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c credOut
	decodeOne(t, string(b), &c)
	checkCred(t, "test", c)
	return c, b
}

// logLines parses a JSON-lines log, failing on any line that is not a JSON object.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(log, "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line %d is not a JSON object: %v\n%s", i+1, err, line)
			continue
		}
		out = append(out, rec)
	}
	return out
}

const bootstrapMsg = "created the Sandbox partner"

func TestServe(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn, dir := e.DSN(t), filepath.Join(t.TempDir(), "data") // serve creates the data dir
			c := newClient(t)

			// First start: bootstrap the sandbox.
			s1 := startServe(t, dsn, dir)
			sandbox, fileBytes := readSandboxFile(t, dir)
			token := issueToken(t, c, s1, sandbox.ClientID, sandbox.ClientSecret)
			checkSandboxListed(t, listCredentials(t, c, s1, token), sandbox.ClientID)

			// A wrong secret is refused (and must not be logged either).
			wrongSecret := "dinie_cs_test_" + strings.Repeat("Z", 40)
			if status, body := postToken(t, c, s1, sandbox.ClientID, wrongSecret); status != http.StatusUnauthorized {
				t.Errorf("POST /api/v3/auth/token with a wrong secret = %d %s, want 401", status, body)
			}

			c.CloseIdleConnections()
			if d, err := s1.stop(t); err != nil {
				t.Fatalf("first serve returned %v after %s, want nil (clean shutdown)\nstderr:\n%s", err, d, s1.stderr)
			}
			if out := s1.stdout.String(); out != "" {
				t.Errorf("serve wrote %q to stdout, want nothing (logs go to stderr)", out)
			}
			checkLog(t, s1.stderr.String(), sandbox, token, wrongSecret)

			// Second start on the same database and data dir: no new sandbox, same signing key.
			s2 := startServe(t, dsn, dir)
			if _, again := readSandboxFile(t, dir); !bytes.Equal(again, fileBytes) {
				t.Errorf("the restart rewrote sandbox-credentials.json:\n%s\nwant\n%s", again, fileBytes)
			}
			ps := listPartners(t, []string{"--db", dsn, "--data-dir", dir})
			if len(ps) != 1 || ps[0].Name != "Sandbox" {
				t.Errorf("after a restart, partners list = %+v, want only the Sandbox partner", ps)
			}
			// The token of the first run is still good: the signing key was kept.
			checkSandboxListed(t, listCredentials(t, c, s2, token), sandbox.ClientID)
			// And the sandbox secret still issues tokens.
			issueToken(t, c, s2, sandbox.ClientID, sandbox.ClientSecret)

			// A partner made with the CLI while the server runs can use its secrets at once, and sees
			// only its own credentials of the token's environment.
			acme := createPartner(t, []string{"--db", dsn, "--data-dir", dir}, "Acme")
			live := acme.Credentials["live"]
			l := listCredentials(t, c, s2, issueToken(t, c, s2, live.ClientID, live.ClientSecret))
			if len(l.Data) != 1 || l.Data[0].ClientID != live.ClientID {
				t.Errorf("Acme's live token lists %+v, want only %s", l.Data, live.ClientID)
			}

			c.CloseIdleConnections()
			if d, err := s2.stop(t); err != nil {
				t.Fatalf("second serve returned %v after %s, want nil\nstderr:\n%s", err, d, s2.stderr)
			}
			log2 := s2.stderr.String()
			for _, secret := range []string{sandbox.ClientSecret, token, live.ClientSecret} {
				if strings.Contains(log2, secret) {
					t.Errorf("the second run's log carries the secret %q:\n%s", secret, log2)
				}
			}
			for _, rec := range logLines(t, log2) {
				if msg, _ := rec["msg"].(string); strings.Contains(msg, bootstrapMsg) {
					t.Errorf("the second run bootstrapped a sandbox again: %v", rec)
				}
			}
		})
	}
}

// checkLog checks the first run's log: one bootstrap line with the sandbox secret, then request lines
// that never carry a secret or token.
func checkLog(t *testing.T, log string, sandbox credOut, secrets ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	recs := logLines(t, log)
	if len(recs) != len(lines) {
		return // already reported
	}
	boot := -1
	for i, rec := range recs {
		if msg, _ := rec["msg"].(string); strings.Contains(msg, bootstrapMsg) {
			if boot >= 0 {
				t.Errorf("log lines %d and %d both bootstrap the sandbox", boot+1, i+1)
			}
			boot = i
		}
	}
	if boot < 0 {
		t.Fatalf("no log line says %q:\n%s", bootstrapMsg, log)
	}
	if rec := recs[boot]; rec["client_id"] != sandbox.ClientID || rec["client_secret"] != sandbox.ClientSecret {
		t.Errorf("the bootstrap log line = %v, want client_id %s and client_secret %s", rec, sandbox.ClientID, sandbox.ClientSecret)
	}
	for i, line := range lines[boot+1:] {
		for _, secret := range append([]string{sandbox.ClientSecret}, secrets...) {
			if strings.Contains(line, secret) {
				t.Errorf("log line %d, after the bootstrap, carries the secret %q:\n%s", boot+i+2, secret, line)
			}
		}
	}
	// The check above must have had request lines to look at.
	type seen struct {
		Method, Route string
		Status        float64
	}
	var requests []seen
	for _, rec := range recs {
		if rec["msg"] == "request" {
			m, _ := rec["method"].(string)
			r, _ := rec["route"].(string)
			st, _ := rec["status"].(float64)
			requests = append(requests, seen{m, r, st})
		}
	}
	want := []seen{
		{"POST", "/api/v3/auth/token", 200},
		{"GET", "/api/v3/auth/credentials", 200},
		{"POST", "/api/v3/auth/token", 401},
	}
	if diff := cmp.Diff(want, requests); diff != "" {
		t.Errorf("request log lines (-want +got):\n%s", diff)
	}
}

// dialRefused waits until addr refuses connections.
func dialRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections %s after shutdown began", addr, waitLong)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	const drain = 5 * time.Second
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			t.Run("idle keep-alive connection", func(t *testing.T) {
				t.Parallel()
				s := startServe(t, e.DSN(t), t.TempDir(), "--shutdown-timeout", drain.String())
				conn, err := net.Dial("tcp", s.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				br := bufio.NewReader(conn)
				fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: dinie\r\n\r\n")
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("GET /healthz: %v", err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.Close {
					t.Fatalf("GET /healthz = %d (close %v), want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
				}

				d, err := s.stop(t)
				if err != nil {
					t.Errorf("serve returned %v, want nil\nstderr:\n%s", err, s.stderr)
				}
				if d >= drain {
					t.Errorf("serve took %s to stop with only an idle connection open, want less than --shutdown-timeout %s", d, drain)
				}
				// The idle connection was closed by the server.
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := br.ReadByte(); err != io.EOF {
					t.Errorf("reading the idle connection after shutdown = %v, want io.EOF", err)
				}
				if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
					c.Close()
					t.Errorf("%s still accepts connections after serve returned", s.addr)
				}
				if log := s.stderr.String(); !strings.Contains(log, `"msg":"stopped"`) {
					t.Errorf("the log does not say the server stopped:\n%s", log)
				}
			})

			t.Run("in-flight request", func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				s := startServe(t, e.DSN(t), dir, "--shutdown-timeout", drain.String())
				sandbox, _ := readSandboxFile(t, dir)
				conn, err := net.Dial("tcp", s.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(waitLong))
				br := bufio.NewReader(conn)
				body := "grant_type=client_credentials"
				basic := base64.StdEncoding.EncodeToString([]byte(sandbox.ClientID + ":" + sandbox.ClientSecret))
				// Expect: 100-continue makes the server say when the handler starts reading the body: from
				// then on the request is in flight, and it stays so until the body is sent.
				fmt.Fprintf(conn, "POST /api/v3/auth/token HTTP/1.1\r\nHost: dinie\r\nAuthorization: Basic %s\r\n"+
					"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
					basic, len(body))
				for _, want := range []string{"HTTP/1.1 100 Continue\r\n", "\r\n"} {
					if line, err := br.ReadString('\n'); err != nil || line != want {
						t.Fatalf("waiting for 100 Continue: read %q, %v; want %q", line, err, want)
					}
				}

				start := time.Now()
				s.cancel()
				dialRefused(t, s.addr) // shutdown has begun: the listener is closed
				time.Sleep(100 * time.Millisecond)
				select {
				case <-s.exited:
					t.Fatalf("serve returned %v while a request was in flight", s.err)
				default:
				}

				io.WriteString(conn, body)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("the in-flight request got no answer: %v", err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("the in-flight token request = %d %s, want 200", resp.StatusCode, b)
				} else {
					var tok tokenResponse
					decodeOne(t, string(b), &tok)
					if !strings.HasPrefix(tok.AccessToken, "dinie_at_") {
						t.Errorf("the in-flight request's access_token = %q, want a dinie_at_ token", tok.AccessToken)
					}
				}

				select {
				case <-s.exited:
				case <-time.After(waitLong):
					t.Fatalf("serve did not return after the in-flight request ended")
				}
				if s.err != nil {
					t.Errorf("serve returned %v, want nil\nstderr:\n%s", s.err, s.stderr)
				}
				if d := time.Since(start); d >= drain {
					t.Errorf("serve took %s to stop, want less than --shutdown-timeout %s", d, drain)
				}
			})

			t.Run("request outlasting the timeout", func(t *testing.T) {
				t.Parallel()
				const short = 300 * time.Millisecond
				dir := t.TempDir()
				s := startServe(t, e.DSN(t), dir, "--shutdown-timeout", short.String())
				conn, err := net.Dial("tcp", s.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(waitLong))
				br := bufio.NewReader(conn)
				// A body that never comes keeps the request in flight past the timeout.
				fmt.Fprintf(conn, "POST /api/v3/auth/token HTTP/1.1\r\nHost: dinie\r\n"+
					"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n")
				for _, want := range []string{"HTTP/1.1 100 Continue\r\n", "\r\n"} {
					if line, err := br.ReadString('\n'); err != nil || line != want {
						t.Fatalf("waiting for 100 Continue: read %q, %v; want %q", line, err, want)
					}
				}
				d, err := s.stop(t)
				if err == nil || !strings.Contains(err.Error(), "shutdown") {
					t.Errorf("serve returned %v, want a shutdown error: the drain timed out", err)
				}
				if d < short || d > short+5*time.Second {
					t.Errorf("serve returned after %s, want about --shutdown-timeout %s", d, short)
				}
			})
		})
	}
}

// TestServeProfiler: --pprof-addr serves Go's profiler on its own address, and only there.
func TestServeProfiler(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, filepath.Join(dir, "dinie.db"), filepath.Join(dir, "data"), "--pprof-addr", "127.0.0.1:0")
	var pprofAddr string
	for line := range strings.SplitSeq(s.stderr.String(), "\n") {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "profiler listening" {
			pprofAddr = rec.Addr
		}
	}
	if pprofAddr == "" {
		t.Fatalf("no \"profiler listening\" line in the log:\n%s", s.stderr)
	}
	c := newClient(t)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("http://" + pprofAddr + "/debug/pprof/"); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("the profiler's index: %d %.200s", status, body)
	}
	if status, _ := get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=1"); status != http.StatusOK {
		t.Errorf("a goroutine profile: %d", status)
	}
	if status, body := get(s.url("/debug/pprof/")); status != http.StatusNotFound {
		t.Errorf("the API's address serves the profiler: %d %.200s", status, body)
	}
}

// TestTuneGC: without GOGC and GOMEMLIMIT the process collects at defaultGCPercent under
// defaultMemoryLimit; either variable, when set, is left to the runtime. (Not parallel: the settings are
// the process's.)
func TestTuneGC(t *testing.T) {
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })
	for _, tc := range []struct {
		env                    map[string]string
		wantPercent, wantLimit int64
	}{
		{env: nil, wantPercent: defaultGCPercent, wantLimit: defaultMemoryLimit},
		{env: map[string]string{"GOGC": "50"}, wantPercent: 100, wantLimit: defaultMemoryLimit},
		{env: map[string]string{"GOMEMLIMIT": "1GiB"}, wantPercent: defaultGCPercent, wantLimit: math.MaxInt64},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		tuneGC(func(k string) string { return tc.env[k] })
		percent := debug.SetGCPercent(100)
		if limit := debug.SetMemoryLimit(-1); int64(percent) != tc.wantPercent || limit != tc.wantLimit {
			t.Errorf("env %v: GC percent %d, memory limit %d; want %d, %d", tc.env, percent, limit, tc.wantPercent, tc.wantLimit)
		}
	}
}
