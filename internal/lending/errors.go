// Package lending is the domain of the platform: partners and their credentials, customers, offers,
// simulations and loans, with the rules that govern them. It does no I/O.
package lending

import (
	"errors"
	"fmt"
	"slices"
)

// Kind is the class of a domain error; the HTTP layer maps each kind to one status and problem type.
type Kind int

// The kinds of error, one per HTTP status the API answers with.
const (
	KindInternal             Kind = iota // 500
	KindInvalidRequest                   // 400
	KindUnauthenticated                  // 401
	KindForbidden                        // 403
	KindNotFound                         // 404
	KindMethodNotAllowed                 // 405
	KindConflict                         // 409
	KindTooLarge                         // 413
	KindUnsupportedMediaType             // 415
	KindValidation                       // 422
	KindRateLimited                      // 429
)

// Code is a stable, machine-readable error code sent as the problem's `code`.
type Code string

// Every error code the platform sends. This is the one list in the code (api/openapi.yaml lists the
// same codes, and a test keeps the two equal).
const (
	CodeInvalidRequest            Code = "invalid_request"
	CodeMalformedJSON             Code = "malformed_json"
	CodeUnsupportedGrantType      Code = "unsupported_grant_type"
	CodeRequestTooLarge           Code = "request_too_large"
	CodeUnsupportedMediaType      Code = "unsupported_media_type"
	CodeMethodNotAllowed          Code = "method_not_allowed"
	CodeInvalidClient             Code = "invalid_client"
	CodeMissingToken              Code = "missing_token"
	CodeInvalidToken              Code = "invalid_token"
	CodeTokenExpired              Code = "token_expired"
	CodeForbidden                 Code = "forbidden"
	CodeSandboxOnly               Code = "sandbox_only"
	CodeNotFound                  Code = "not_found"
	CodeCredentialNotFound        Code = "credential_not_found"
	CodeConflict                  Code = "conflict"
	CodeLastActiveCredential      Code = "last_active_credential"
	CodeIdempotencyKeyInUse       Code = "idempotency_key_in_use"
	CodeValidationFailed          Code = "validation_failed"
	CodeMissingRequiredField      Code = "missing_required_field"
	CodeInvalidField              Code = "invalid_field"
	CodeInvalidParameter          Code = "invalid_parameter"
	CodeInvalidIdempotencyKey     Code = "invalid_idempotency_key"
	CodeIdempotencyKeyReused      Code = "idempotency_key_reused"
	CodeRateLimitExceeded         Code = "rate_limit_exceeded"
	CodeInternal                  Code = "internal_error"
	CodeWebhookEndpointNotFound   Code = "webhook_endpoint_not_found"
	CodeDeliveryNotFound          Code = "delivery_not_found"
	CodeInvalidURL                Code = "invalid_url"
	CodeInvalidEventFilter        Code = "invalid_event_filter"
	CodeInvalidCPF                Code = "invalid_cpf"
	CodeInvalidCNPJ               Code = "invalid_cnpj"
	CodeCustomerNotFound          Code = "customer_not_found"
	CodeCustomerAlreadyExists     Code = "customer_already_exists"
	CodeInvalidCustomerState      Code = "invalid_customer_state"
	CodeKYCIncomplete             Code = "kyc_incomplete"
	CodeRequirementNotFound       Code = "requirement_not_found"
	CodeInvalidEvidenceType       Code = "invalid_evidence_type"
	CodeInvalidAttachmentType     Code = "invalid_attachment_type"
	CodeAttachmentAlreadyAccepted Code = "attachment_already_accepted"
	CodeInvalidFile               Code = "invalid_file"
	CodeUnsupportedFileType       Code = "unsupported_file_type"
	CodeFileTooLarge              Code = "file_too_large"
	CodeSessionAlreadyActive      Code = "session_already_active"
	CodeInvalidSessionCode        Code = "invalid_session_code"
	CodeSessionTokenRequired      Code = "session_token_required"
	CodeBankAccountNotFound       Code = "bank_account_not_found"
	CodeUnknownBank               Code = "unknown_bank"
	CodeCreditOfferNotFound       Code = "credit_offer_not_found"
	CodeOfferExpired              Code = "offer_expired"
	CodeOfferAlreadyAccepted      Code = "offer_already_accepted"
	CodeInvalidOfferState         Code = "invalid_offer_state"
	CodeAmountOutOfRange          Code = "amount_out_of_range"
	CodeInvalidInstallmentCount   Code = "invalid_installment_count"
	CodeSimulationNotFound        Code = "simulation_not_found"
	CodeLoanNotFound              Code = "loan_not_found"
	CodeSimulationMismatch        Code = "simulation_mismatch"
	CodeCustomerNotActive         Code = "customer_not_active"
	CodeBankAccountRequired       Code = "bank_account_required"
	CodeInvalidLoanState          Code = "invalid_loan_state"
	CodeSignerNotFound            Code = "signer_not_found"
	CodePaymentExceedsBalance     Code = "payment_exceeds_balance"
	CodeSigningSessionInvalid     Code = "signing_session_invalid"
)

var codeKinds = map[Code]Kind{
	CodeInvalidRequest:            KindInvalidRequest,
	CodeMalformedJSON:             KindInvalidRequest,
	CodeUnsupportedGrantType:      KindInvalidRequest,
	CodeRequestTooLarge:           KindTooLarge,
	CodeUnsupportedMediaType:      KindUnsupportedMediaType,
	CodeMethodNotAllowed:          KindMethodNotAllowed,
	CodeInvalidClient:             KindUnauthenticated,
	CodeMissingToken:              KindUnauthenticated,
	CodeInvalidToken:              KindUnauthenticated,
	CodeTokenExpired:              KindUnauthenticated,
	CodeForbidden:                 KindForbidden,
	CodeSandboxOnly:               KindForbidden,
	CodeNotFound:                  KindNotFound,
	CodeCredentialNotFound:        KindNotFound,
	CodeConflict:                  KindConflict,
	CodeLastActiveCredential:      KindConflict,
	CodeIdempotencyKeyInUse:       KindConflict,
	CodeValidationFailed:          KindValidation,
	CodeMissingRequiredField:      KindValidation,
	CodeInvalidField:              KindValidation,
	CodeInvalidParameter:          KindValidation,
	CodeInvalidIdempotencyKey:     KindValidation,
	CodeIdempotencyKeyReused:      KindValidation,
	CodeRateLimitExceeded:         KindRateLimited,
	CodeInternal:                  KindInternal,
	CodeWebhookEndpointNotFound:   KindNotFound,
	CodeDeliveryNotFound:          KindNotFound,
	CodeInvalidURL:                KindValidation,
	CodeInvalidEventFilter:        KindValidation,
	CodeInvalidCPF:                KindValidation,
	CodeInvalidCNPJ:               KindValidation,
	CodeCustomerNotFound:          KindNotFound,
	CodeCustomerAlreadyExists:     KindConflict,
	CodeInvalidCustomerState:      KindConflict,
	CodeKYCIncomplete:             KindValidation,
	CodeRequirementNotFound:       KindValidation,
	CodeInvalidEvidenceType:       KindValidation,
	CodeInvalidAttachmentType:     KindValidation,
	CodeAttachmentAlreadyAccepted: KindConflict,
	CodeInvalidFile:               KindValidation,
	CodeUnsupportedFileType:       KindValidation,
	CodeFileTooLarge:              KindTooLarge,
	CodeSessionAlreadyActive:      KindConflict,
	CodeInvalidSessionCode:        KindForbidden,
	CodeSessionTokenRequired:      KindForbidden,
	CodeBankAccountNotFound:       KindNotFound,
	CodeUnknownBank:               KindValidation,
	CodeCreditOfferNotFound:       KindNotFound,
	CodeOfferExpired:              KindValidation,
	CodeOfferAlreadyAccepted:      KindConflict,
	CodeInvalidOfferState:         KindConflict,
	CodeAmountOutOfRange:          KindValidation,
	CodeInvalidInstallmentCount:   KindValidation,
	CodeSimulationNotFound:        KindNotFound,
	CodeLoanNotFound:              KindNotFound,
	CodeSimulationMismatch:        KindValidation,
	CodeCustomerNotActive:         KindValidation,
	CodeBankAccountRequired:       KindValidation,
	CodeInvalidLoanState:          KindConflict,
	CodeSignerNotFound:            KindValidation,
	CodePaymentExceedsBalance:     KindValidation,
	CodeSigningSessionInvalid:     KindNotFound,
}

// Codes returns every error code, sorted.
func Codes() []Code {
	out := make([]Code, 0, len(codeKinds))
	for c := range codeKinds {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Kind returns the kind of error the code belongs to (KindInternal for an unknown code).
func (c Code) Kind() Kind {
	if k, ok := codeKinds[c]; ok {
		return k
	}
	return KindInternal
}

// FieldError names one invalid input field.
type FieldError struct {
	Param  string `json:"param"`
	Detail string `json:"detail"`
	Code   Code   `json:"code,omitempty"`
}

// Error is a domain error with a stable code, safe to show to the partner.
type Error struct {
	Code   Code
	Detail string
	// Fields lists the offending fields of a validation error, if any.
	Fields []FieldError
}

// Error returns the code and detail.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Detail }

// Errorf returns an *Error with the given code and a formatted detail.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns a validation *Error about one field.
func FieldErrorf(code Code, param, format string, args ...any) *Error {
	d := fmt.Sprintf(format, args...)
	return &Error{Code: code, Detail: d, Fields: []FieldError{{Param: param, Detail: d, Code: code}}}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else CodeInternal.
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}
