package lending

import (
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
)

// BiometricsSessionTTL is how long a biometrics link can be opened.
const BiometricsSessionTTL = 30 * time.Minute

// BiometricsCodePrefix starts every biometrics bootstrap code.
const BiometricsCodePrefix = "dinie_bsc_"

// BiometricsSession is a link a customer opens to send selfie, documents and bank account. Its code is
// single-use; only its hash is kept.
type BiometricsSession struct {
	ID         string
	Scope      Scope
	CustomerID string
	CodeHash   string
	ExpiresAt  time.Time
	ConsumedAt *time.Time
	CreatedAt  time.Time
}

// Live reports whether the session's link can still be opened at now.
func (s BiometricsSession) Live(now time.Time) bool {
	return s.ConsumedAt == nil && now.Before(s.ExpiresAt)
}

// NewBiometricsSession opens a session for c at now and returns it with its code, which is shown once.
// The customer must be waiting for KYC evidence (CodeInvalidCustomerState otherwise), and a live session
// must not exist (CodeSessionAlreadyActive). hash turns the code into what is stored.
func NewBiometricsSession(c Customer, live *BiometricsSession, hash func(string) string, now time.Time) (BiometricsSession, string, error) {
	if err := c.requireStatus("open a biometrics session", CustomerPendingKYC); err != nil {
		return BiometricsSession{}, "", err
	}
	if live != nil && live.Live(now) {
		return BiometricsSession{}, "", Errorf(CodeSessionAlreadyActive,
			"customer %s already has a biometrics session open until %d; use it or wait for it to expire", c.ID, live.ExpiresAt.Unix())
	}
	now = now.UTC().Truncate(time.Second)
	code := ids.Secret(BiometricsCodePrefix+string(c.Scope.Environment)+"_", 40)
	return BiometricsSession{ID: ids.New("bs_"), Scope: c.Scope, CustomerID: c.ID, CodeHash: hash(code),
		ExpiresAt: now.Add(BiometricsSessionTTL), CreatedAt: now}, code, nil
}

// KYCFile is one stored upload of KYC evidence. Files are never deleted or overwritten: an upload that
// replaces a slot's file marks the old one superseded.
type KYCFile struct {
	ID             string
	Scope          Scope
	CustomerID     string
	RequirementID  string
	EvidenceType   string
	AttachmentType string
	// BlobKey names the bytes in the blob store; SHA256 is their hex digest.
	BlobKey      string
	SHA256       string
	Size         int64
	ContentType  string
	UploadedAt   time.Time
	SupersededAt *time.Time
}
