package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

type credentialOut struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

type partnerOut struct {
	ID          string                   `json:"id"`
	Name        string                   `json:"name"`
	CreatedAt   int64                    `json:"created_at,omitempty"`
	Credentials map[string]credentialOut `json:"credentials,omitempty"`
}

func (m *Main) partners(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("partners: want create or list")
	}
	var d dbFlags
	fs := m.newFlagSet("partners "+args[0], &d)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "create":
		name := fs.String("name", "", "the partner's name (required)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return m.createPartner(ctx, d, *name, *asJSON)
	case "list":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return m.listPartners(ctx, d, *asJSON)
	}
	return fmt.Errorf("partners: unknown command %q (want create or list)", args[0])
}

// createPartner creates a partner with one test and one live credential, in one transaction.
func (m *Main) createPartner(ctx context.Context, d dbFlags, name string, asJSON bool) error {
	clk := clock.System{}
	p, err := lending.NewPartner(name, clk.Now())
	if err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	st, err := m.openStore(ctx, d, clk)
	if err != nil {
		return err
	}
	defer st.Close()
	out := partnerOut{ID: p.ID, Name: p.Name, Credentials: map[string]credentialOut{}}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		for _, env := range []lending.Environment{lending.EnvTest, lending.EnvLive} {
			c, secret, err := lending.NewCredential(lending.NewCredentialRequest{
				Scope: lending.Scope{PartnerID: p.ID, Environment: env}, Name: "Default " + string(env),
			}, clk.Now(), auth.HashSecret)
			if err != nil {
				return err
			}
			if err := tx.CreateCredential(ctx, c); err != nil {
				return err
			}
			out.Credentials[string(env)] = credentialOut{ClientID: c.ClientID, ClientSecret: secret}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(m.Stdout).Encode(out)
	}
	fmt.Fprintf(m.Stdout, "partner %s (%s)\n", out.ID, out.Name)
	for _, env := range []string{"test", "live"} {
		c := out.Credentials[env]
		fmt.Fprintf(m.Stdout, "  %s  client_id=%s  client_secret=%s\n", env, c.ClientID, c.ClientSecret)
	}
	fmt.Fprintln(m.Stdout, "the secrets are shown only now")
	return nil
}

func (m *Main) listPartners(ctx context.Context, d dbFlags, asJSON bool) error {
	st, err := m.openStore(ctx, d, clock.System{})
	if err != nil {
		return err
	}
	defer st.Close()
	ps, err := st.ListPartners(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]partnerOut, len(ps))
		for i, p := range ps {
			out[i] = partnerOut{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.Unix()}
		}
		return json.NewEncoder(m.Stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ID, p.Name, p.CreatedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

func (m *Main) credentials(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("credentials: want create or revoke")
	}
	var d dbFlags
	fs := m.newFlagSet("credentials "+args[0], &d)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "create":
		partner := fs.String("partner", "", "the partner's id (required)")
		env := fs.String("env", "", "test or live (required)")
		name := fs.String("name", "", "a label for the credential (default: the environment)")
		scope := fs.String("scope", "", "extra scopes, space separated (biometrics:exchange for a KYC app)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return m.createCredential(ctx, d, *partner, *env, *name, *scope, *asJSON)
	case "revoke":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return errors.New("credentials revoke: want exactly one CLIENT_ID")
		}
		return m.revokeCredential(ctx, d, fs.Arg(0))
	}
	return fmt.Errorf("credentials: unknown command %q (want create or revoke)", args[0])
}

func (m *Main) createCredential(ctx context.Context, d dbFlags, partnerID, envName, name, scopes string, asJSON bool) error {
	env, ok := lending.ParseEnvironment(envName)
	if !ok {
		return errors.New("--env must be test or live")
	}
	if name == "" {
		name = "Created by operator (" + envName + ")"
	}
	clk := clock.System{}
	st, err := m.openStore(ctx, d, clk)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.GetPartner(ctx, partnerID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no partner %q", partnerID)
		}
		return err
	}
	c, secret, err := lending.NewCredential(lending.NewCredentialRequest{
		Scope: lending.Scope{PartnerID: partnerID, Environment: env}, Name: name, Scopes: strings.Fields(scopes),
	}, clk.Now(), auth.HashSecret)
	if err != nil {
		return err
	}
	if err := st.CreateCredential(ctx, c); err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(m.Stdout).Encode(credentialOut{ClientID: c.ClientID, ClientSecret: secret})
	}
	fmt.Fprintf(m.Stdout, "client_id=%s\nclient_secret=%s\nthe secret is shown only now\n", c.ClientID, secret)
	return nil
}

func (m *Main) revokeCredential(ctx context.Context, d dbFlags, clientID string) error {
	clk := clock.System{}
	st, err := m.openStore(ctx, d, clk)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := st.CredentialByClientID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no credential %q", clientID)
	}
	if err != nil {
		return err
	}
	if _, err := st.RevokeCredential(ctx, c.Scope(), clientID, clk.Now()); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "revoked %s\n", clientID)
	return nil
}
