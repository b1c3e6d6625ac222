package events

import (
	"fmt"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
)

// Sample returns realistic `data` for a test event of type typ at now (contract.md §8.1), with fresh
// ids: what a partner's receiver would get from the real flow. It errors on an unknown type.
func Sample(typ string, now time.Time) (any, error) {
	customerID, offerID, loanID := ids.New("cust_"), ids.New("co_"), ids.New("ln_")
	at := now.Unix()
	externalID := "pedido-" + customerID[5:13]
	applicant := map[string]any{"id": "003" + fmt.Sprintf("%015d", now.UnixNano()%1e15), "name": "Maria Aparecida Souza", "subject_type": "applicant"}
	coOwner := map[string]any{"id": "003" + fmt.Sprintf("%015d", (now.UnixNano()+1)%1e15), "name": "João Pedro Lima", "subject_type": "co_owner"}
	kyc := []any{
		map[string]any{
			"requirement_id": "identity_" + applicant["id"].(string), "requirement_type": "identity",
			"label": "Documento de identidade", "mandatory": true, "subject": applicant,
			"submitted": map[string]any{"evidence_type": "cnh", "review_status": "pending", "review_reason": nil,
				"attachments": []any{
					map[string]any{"attachment_type": "front", "submitted": true},
					map[string]any{"attachment_type": "back", "submitted": false},
				}},
		},
		map[string]any{"requirement_id": "selfie_" + applicant["id"].(string), "requirement_type": "selfie",
			"label": "Selfie", "mandatory": true, "subject": applicant},
		map[string]any{"requirement_id": "proof_of_address_" + applicant["id"].(string), "requirement_type": "proof_of_address",
			"label": "Comprovante de endereço", "mandatory": true, "subject": applicant},
		map[string]any{"requirement_id": "email_" + coOwner["id"].(string), "requirement_type": "email",
			"label": "Email do co-titular para assinatura da CCB", "mandatory": false, "subject": coOwner},
		map[string]any{"requirement_id": "articles_of_association", "requirement_type": "articles_of_association",
			"label": "Contrato social", "mandatory": true},
	}
	person := map[string]any{
		"id": customerID, "external_id": externalID, "name": "Maria Aparecida Souza",
		"email": "financeiro@padariaboavista.com.br", "phone": "+5511987654321",
		"cpf": "529.982.247-25", "cnpj": "11.222.333/0001-81",
	}
	with := func(base map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	offer := map[string]any{
		"id": offerID, "customer_id": customerID, "external_id": externalID, "approved_amount": 50000.0,
		"min_amount": 1000.0, "monthly_interest_rate": 2.5, "installments": 12, "due_date_rule": nil,
		"valid_until": now.Add(30 * 24 * time.Hour).Unix(),
	}
	switch typ {
	case "customer.created":
		return with(person, "trading_name", "Padaria Boa Vista", "status", "pending_kyc", "kyc", kyc), nil
	case "customer.under_review":
		return map[string]any{"id": customerID, "external_id": externalID, "status": "under_review"}, nil
	case "customer.active":
		return map[string]any{"id": customerID, "external_id": externalID, "status": "active"}, nil
	case "customer.denied":
		return with(person, "status", "denied"), nil
	case "customer.kyc_updated":
		return map[string]any{"id": customerID, "external_id": externalID, "status": "pending_kyc", "kyc": kyc}, nil
	case "credit_offer.available":
		return with(offer, "status", "available"), nil
	case "credit_offer.expired":
		return with(offer, "status", "expired"), nil
	case "loan.created":
		return map[string]any{"id": loanID, "credit_offer_id": offerID, "customer_id": customerID,
			"status": "awaiting_signatures", "requested_amount": 10000.0, "installment_count": 12,
			"signing_url": "https://sandbox.dinie.local/sign/" + loanID}, nil
	case "loan.signature_received":
		return map[string]any{"id": loanID, "status": "awaiting_signatures",
			"signer":              map[string]any{"name": "Maria Aparecida Souza", "cpf": "529.982.247-25", "signed_at": at},
			"signatures_received": 1, "signatures_required": 2}, nil
	case "loan.processing":
		return map[string]any{"id": loanID, "credit_offer_id": offerID, "customer_id": customerID, "status": "processing",
			"ccb_number": fmt.Sprintf("CCB-%d-%06d", now.Year(), now.Unix()%1e6), "disbursement_method": "pix"}, nil
	case "loan.active":
		return map[string]any{"id": loanID, "status": "active", "requested_amount": 10000.0, "principal_amount": 10250.0}, nil
	case "loan.payment_received":
		return map[string]any{"id": loanID, "status": "active",
			"payment": map[string]any{"amount": 875.5, "paid_at": at, "installment_number": 1}}, nil
	case "loan.finished":
		return map[string]any{"id": loanID, "status": "finished"}, nil
	case "loan.cancelled":
		return map[string]any{"id": loanID, "status": "cancelled"}, nil
	case "loan.error":
		return map[string]any{"id": loanID, "status": "error",
			"error": map[string]any{"code": "disbursement_failed", "message": "The receiving bank rejected the Pix transfer."}}, nil
	}
	return nil, fmt.Errorf("events: no sample for %q", typ)
}
