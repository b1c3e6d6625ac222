package client

import (
	"context"
	"iter"
	"net/http"
)

// CredentialStatus is the state of an API credential.
type CredentialStatus string

// Credential statuses.
const (
	CredentialActive  CredentialStatus = "active"
	CredentialRevoked CredentialStatus = "revoked"
)

// Credential is an API credential (contract.md §6.6). Its secret is never part of it.
type Credential struct {
	// ID is the client id, "dinie_ci_test_…" or "dinie_ci_live_…"; ClientID is the same value.
	ID       string           `json:"id"`
	ClientID string           `json:"client_id"`
	Name     string           `json:"name"`
	Status   CredentialStatus `json:"status"`
	// LastUsedAt is nil when the credential was never used.
	LastUsedAt *Timestamp `json:"last_used_at"`
	// ExpiresAt is nil for a credential that never expires.
	ExpiresAt *Timestamp `json:"expires_at"`
	CreatedAt Timestamp  `json:"created_at"`
	UpdatedAt Timestamp  `json:"updated_at"`
}

// CredentialWithSecret is a credential just created, with its secret: the only time it is shown.
type CredentialWithSecret struct {
	Credential
	ClientSecret string `json:"client_secret"`
}

// CreateCredentialParams are the fields of a new credential.
type CreateCredentialParams struct {
	// Name is a label that helps you recognise the credential (required).
	Name string `json:"name"`
	// ExpiresAt is when the credential stops working; nil for never.
	ExpiresAt *Timestamp `json:"expires_at,omitempty"`
}

// CredentialsService manages the partner's API credentials, in the environment of the client's own
// credential.
type CredentialsService struct{ c *Client }

// Create creates a credential; keep its ClientSecret now, it cannot be read again.
func (s *CredentialsService) Create(ctx context.Context, params CreateCredentialParams) (*CredentialWithSecret, error) {
	out := &CredentialWithSecret{}
	if _, err := s.c.post(ctx, "/auth/credentials", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

func credentialID(c Credential) string { return c.ID }

// List walks every credential of the partner.
func (s *CredentialsService) List(ctx context.Context, params *ListParams) iter.Seq2[Credential, error] {
	return paginate(ctx, s.c, "/auth/credentials", params.values(), credentialID)
}

// ListPage gets one page of credentials.
func (s *CredentialsService) ListPage(ctx context.Context, params *ListParams) (*Page[Credential], error) {
	return listPage(ctx, s.c, "/auth/credentials", params.values(), credentialID)
}

// Revoke revokes the credential clientID, at once and for good. Revoking the last active credential
// fails with code last_active_credential.
func (s *CredentialsService) Revoke(ctx context.Context, clientID string) error {
	_, err := s.c.send(ctx, &request{method: http.MethodDelete, path: "/auth/credentials/" + seg(clientID)}, nil)
	return err
}

// Bank is an entry of the bank directory (contract.md §6.7).
type Bank struct {
	// ID is the COMPE code, as "001".
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

// BanksService reads the bank directory.
type BanksService struct{ c *Client }

// List returns the whole bank directory (it is not paginated).
func (s *BanksService) List(ctx context.Context) ([]Bank, error) {
	var out struct {
		Data []Bank `json:"data"`
	}
	if err := s.c.get(ctx, "/banks", nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}
