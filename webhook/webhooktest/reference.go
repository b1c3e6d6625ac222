// Package webhooktest checks webhook deliveries against an implementation of
// Standard Webhooks that Dinie did not write: the reference JavaScript library
// (npm package "standardwebhooks", the exact version pinned in
// webhook/testdata/npm/package.json and package-lock.json).
//
// It is meant for tests: [ReferenceVerify] runs Node.js once per batch of
// cases. It needs node and npm on PATH the first time (to run "npm ci"), and
// node afterwards. When they are missing or the install fails the calling test
// fails, unless the environment sets DINIE_TEST_SKIP_NPM=1, in which case it
// is skipped (and npm is never run: an existing install is still used).
package webhooktest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// SkipEnv is the environment variable that, set to "1", turns the failures
// caused by a missing or failing Node.js/npm into skips.
const SkipEnv = "DINIE_TEST_SKIP_NPM"

// Timeouts for the two external commands.
const (
	installTimeout = 3 * time.Minute
	verifyTimeout  = 2 * time.Minute
)

// referencePackage is the npm package the tests compare against.
const referencePackage = "standardwebhooks"

// ErrRejected is wrapped by the errors [ReferenceVerify] returns for the cases
// the reference library refuses.
var ErrRejected = errors.New("standardwebhooks rejected the delivery")

// Case is one delivery to verify: the receiver's secrets (each "whsec_…"),
// the request headers and the raw body.
type Case struct {
	Secrets []string
	Header  http.Header
	Body    []byte
}

// ReferenceVerify verifies every case with the reference library: a case
// passes when new Webhook(secret).verify(body, headers) succeeds for any of
// its secrets. The library checks webhook-timestamp against the current
// time with a ±5 minute tolerance, so cases must carry current timestamps.
//
// The library is called with {jsonParse: false}, so the verdict is about the
// signature and timestamp only, not about whether the body is JSON.
//
// The pinned library is installed with "npm ci" into
// webhook/testdata/npm/node_modules on first use (or, when that directory is
// read-only, as in the module cache, into a copy under os.UserCacheDir), and
// reinstalled when the installed version differs from the pin. Concurrent
// test processes may install at the same time safely.
//
// It returns one result per case, in order: nil when the library accepted
// it, or an error wrapping [ErrRejected] that carries the library's message
// ("No matching signature found", "Message timestamp too old", …).
//
// Each header is passed under its lower-case name with its first value (the
// library matches names case-insensitively). When a header appears under
// several spellings, the one passed is chosen as package webhook's Verify
// chooses: the canonical spelling, then the lower-case one, then the first
// in sorted order.
//
// It stops the test with t.Fatal when a body is not valid UTF-8 (the library
// handles bodies as JavaScript strings and cannot check other bytes), when
// node misbehaves, or, unless DINIE_TEST_SKIP_NPM=1, when node or npm is
// missing or "npm ci" fails; with DINIE_TEST_SKIP_NPM=1 those last cases skip
// the test instead.
func ReferenceVerify(t testing.TB, cases []Case) []error {
	t.Helper()
	if len(cases) == 0 {
		return nil
	}
	var input bytes.Buffer
	enc := json.NewEncoder(&input)
	for i, c := range cases {
		if !utf8.Valid(c.Body) {
			t.Fatalf("webhooktest: case %d: body is not valid UTF-8; the reference library verifies bodies as JavaScript strings", i)
		}
		line := struct {
			Secrets []string          `json:"secrets"`
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		}{c.Secrets, flattenHeader(c.Header), string(c.Body)}
		if line.Secrets == nil {
			line.Secrets = []string{}
		}
		if err := enc.Encode(line); err != nil {
			t.Fatalf("webhooktest: case %d: %v", i, err)
		}
	}

	dir := install(t)
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable(t, "node is not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "verify.mjs")
	cmd.Dir = dir
	cmd.Stdin = &input
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("webhooktest: node verify.mjs in %s: %v\nstderr:\n%s", dir, err, stderr.String())
	}

	results := make([]error, 0, len(cases))
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var out struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &out); err != nil {
			t.Fatalf("webhooktest: unexpected output line from verify.mjs %q: %v", sc.Text(), err)
		}
		if out.OK {
			results = append(results, nil)
		} else {
			results = append(results, fmt.Errorf("%w: %s", ErrRejected, out.Error))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("webhooktest: reading verify.mjs output: %v", err)
	}
	if len(results) != len(cases) {
		t.Fatalf("webhooktest: verify.mjs answered %d lines for %d cases\nstderr:\n%s", len(results), len(cases), stderr.String())
	}
	return results
}

// flattenHeader maps each header name, lower-cased, to one value.
func flattenHeader(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	// Sorted, then by preference, so the first key seen for a name wins.
	slices.Sort(keys)
	rank := func(k string) int {
		switch k {
		case http.CanonicalHeaderKey(k):
			return 0
		case strings.ToLower(k):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(keys, func(a, b string) int { return rank(a) - rank(b) })
	for _, k := range keys {
		name := strings.ToLower(k)
		if _, seen := out[name]; seen || len(h[k]) == 0 {
			continue
		}
		out[name] = h[k][0]
	}
	return out
}

// unavailable fails the test, or skips it when SkipEnv is set.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := "webhooktest: reference implementation unavailable: " + fmt.Sprintf(format, args...)
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("%s (skipped because %s=1)", msg, SkipEnv)
	}
	t.Fatalf("%s\nThe comparison with the reference library needs Node.js and npm on PATH (and, for the first run, access to the npm registry); fix that, or set %s=1 to skip it.", msg, SkipEnv)
}

var (
	installMu  sync.Mutex
	installDir string // set once an install is known to be usable
)

// install returns a directory holding verify.mjs and an install of the pinned
// reference library, running "npm ci" first when needed.
func install(t testing.TB) string {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	if installDir != "" {
		return installDir
	}
	src, err := sourceDir()
	if err != nil {
		t.Fatalf("webhooktest: %v", err)
	}
	want, err := pinnedVersion(src)
	if err != nil {
		t.Fatalf("webhooktest: %v", err)
	}
	dir := src
	if !writable(src) {
		// A read-only copy, such as the module cache: install elsewhere.
		if dir, err = cacheCopy(src, want); err != nil {
			unavailable(t, "%v", err)
		}
	}
	if installedVersion(dir) == want {
		installDir = dir
		return dir
	}
	if os.Getenv(SkipEnv) == "1" {
		t.Skipf("webhooktest: %s@%s is not installed in %s and %s=1, so npm is not run", referencePackage, want, dir, SkipEnv)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "npm is not on PATH (needed once to install %s@%s in %s): %v", referencePackage, want, dir, err)
	}
	start := time.Now()
	if err := npmCI(npm, dir); err != nil {
		unavailable(t, "%v", err)
	}
	if got := installedVersion(dir); got != want {
		unavailable(t, "after npm ci, %s has %s version %q, want %q", dir, referencePackage, got, want)
	}
	t.Logf("webhooktest: installed %s@%s in %s with npm ci in %v", referencePackage, want, dir, time.Since(start).Round(time.Millisecond))
	installDir = dir
	return dir
}

// npmCI runs "npm ci" for dir in a private staging directory, then moves the
// resulting node_modules into dir, so that concurrent test processes never
// see a half-written node_modules.
func npmCI(npm, dir string) error {
	stage, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	for _, f := range []string{"package.json", "package-lock.json"} {
		if err := copyFile(filepath.Join(dir, f), filepath.Join(stage, f)); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = stage
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v", installTimeout)
	}
	if err != nil {
		return fmt.Errorf("npm ci --no-audit --no-fund in %s failed: %v\n%s", dir, err, out)
	}
	target := filepath.Join(dir, "node_modules")
	if err := os.Rename(filepath.Join(stage, "node_modules"), target); err != nil {
		want, _ := pinnedVersion(dir)
		if installedVersion(dir) == want {
			return nil // another process installed it meanwhile
		}
		// A stale node_modules (another version): replace it.
		if err := os.RemoveAll(target); err != nil {
			return err
		}
		return os.Rename(filepath.Join(stage, "node_modules"), target)
	}
	return nil
}

// sourceDir finds webhook/testdata/npm: next to this source file when its
// path is known, otherwise (for builds with -trimpath) by walking up from the
// working directory, which "go test" sets to the package under test.
func sourceDir() (string, error) {
	ok := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "verify.mjs"))
		return err == nil
	}
	if _, file, _, found := runtime.Caller(0); found && filepath.IsAbs(file) {
		if d := filepath.Join(filepath.Dir(file), "..", "testdata", "npm"); ok(d) {
			return filepath.Clean(d), nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if c := filepath.Join(d, "webhook", "testdata", "npm"); ok(c) {
			return c, nil
		}
		if c := filepath.Join(d, "testdata", "npm"); filepath.Base(d) == "webhook" && ok(c) {
			return c, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("cannot find webhook/testdata/npm/verify.mjs from %s", wd)
		}
	}
}

// pinnedVersion returns the version of the reference library package.json
// asks for (an exact version).
func pinnedVersion(dir string) (string, error) {
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pkg)
	}
	if err != nil {
		return "", fmt.Errorf("reading %s/package.json: %v", dir, err)
	}
	v := pkg.Dependencies[referencePackage]
	if v == "" {
		return "", fmt.Errorf("%s/package.json does not depend on %s", dir, referencePackage)
	}
	return v, nil
}

// installedVersion returns the version of the reference library installed in
// dir/node_modules, or "" when there is none.
func installedVersion(dir string) string {
	var pkg struct {
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", referencePackage, "package.json"))
	if err != nil || json.Unmarshal(b, &pkg) != nil {
		return ""
	}
	return pkg.Version
}

// writable reports whether files can be created in dir.
func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".probe-")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// cacheCopy copies the npm project in src to the user cache directory, for
// when src cannot be written, and returns the copy.
func cacheCopy(src, version string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "dinie-webhooktest", referencePackage+"-"+version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, f := range []string{"package.json", "package-lock.json", "verify.mjs"} {
		if err := copyFile(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// copyFile copies one regular file, replacing dst atomically.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	tmp := dst + ".tmp" + fmt.Sprint(os.Getpid())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
