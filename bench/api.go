package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// client calls the API with one partner token.
type client struct {
	base       string // http://host:port/api/v3
	hc         *http.Client
	id, secret string
	token      string
}

// answer is how one HTTP request went.
type answer struct {
	status int    // 0 when no answer arrived
	code   string // the problem's code, on a non-2xx answer
	err    error
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// key names the outcome for the error counts: "201", "500 internal_error", "timeout".
func (a answer) key() string {
	switch {
	case a.err != nil:
		return errClass(a.err)
	case a.code != "":
		return strconv.Itoa(a.status) + " " + a.code
	}
	return strconv.Itoa(a.status)
}

func (a answer) String() string {
	if a.err != nil {
		return a.err.Error()
	}
	return "HTTP " + a.key()
}

// fail is a's failure as an error about what.
func (a answer) fail(what string) error {
	return fmt.Errorf("%s: %s", what, a)
}

func errClass(err error) string {
	var de *decodeError
	switch {
	case errors.As(err, &de):
		return "bad response body"
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed early"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "out of local ports"
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
		return "too many open files"
	}
	return "transport error"
}

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "decode the answer: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// call sends method path with the token and a JSON body (nil: none), decoding a 2xx answer into out
// (nil: discarded).
func (c *client) call(ctx context.Context, method, path string, body []byte, out any) answer {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

// send does req and reads the whole answer so that the connection is reused.
func (c *client) send(req *http.Request, out any) answer {
	resp, err := c.hc.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	if !a.ok() {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var p struct {
			Code string `json:"code"`
		}
		if json.Unmarshal(b, &p) == nil {
			a.code = p.Code
		}
	} else if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			a.err = &decodeError{err}
		}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil && a.err == nil {
		a.err = err
	}
	return a
}

// tokenRequest is POST /auth/token as the JS SDK sends it: Basic credentials and a form body.
func (c *client) tokenRequest(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+"/auth/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.id, c.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

func (c *client) fetchToken(ctx context.Context) (string, answer) {
	req, err := c.tokenRequest(ctx)
	if err != nil {
		return "", answer{err: err}
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	a := c.send(req, &t)
	if a.ok() && t.AccessToken == "" {
		a.err = errors.New("no access_token in the answer")
	}
	return t.AccessToken, a
}

// pollEvery is how often a wait for asynchronous work asks again.
const pollEvery = 50 * time.Millisecond

// poll calls check every pollEvery until it reports done, fails (an answer that is not ok), or timeout
// passes. It returns the number of calls made and the last answer.
func poll(ctx context.Context, timeout time.Duration, check func(ctx context.Context) (done bool, a answer)) (int, answer) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n := 0
	for {
		done, a := check(ctx)
		n++
		if done || !a.ok() {
			return n, a
		}
		select {
		case <-ctx.Done():
			return n, answer{err: fmt.Errorf("still waiting after %s: %w", timeout, context.DeadlineExceeded)}
		case <-time.After(pollEvery):
		}
	}
}
