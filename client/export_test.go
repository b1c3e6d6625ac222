package client

import "time"

// WithClock makes the client read time from now (for its token cache), so tests can move time.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.auth.now = now }
}
