package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/wire"
)

// kyc is the operator's tool for live KYC decisions: live customers wait under_review until a person
// decides (the sandbox verifier decides test customers by itself).
func (m *Main) kyc(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("kyc: want pending or decide")
	}
	var d dbFlags
	fs := m.newFlagSet("kyc "+args[0], &d)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "pending":
		env := fs.String("env", "live", "the customers' environment: live, test or all")
		limit := fs.Int("limit", 50, "list at most this many customers")
		pos, err := parseInterspersed(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return fmt.Errorf("kyc pending: unexpected argument %q", pos[0])
		}
		var e lending.Environment
		if *env != "all" {
			var ok bool
			if e, ok = lending.ParseEnvironment(*env); !ok {
				return fmt.Errorf("kyc pending: --env must be live, test or all, not %q", *env)
			}
		}
		if *limit <= 0 {
			return fmt.Errorf("kyc pending: --limit must be positive, not %d", *limit)
		}
		return m.kycPending(ctx, d, e, *limit, *asJSON)
	case "decide":
		var v decideFlags
		fs.Func("accept", "accept requirement `REQUIREMENT_ID` (repeatable)", func(s string) error {
			v.accept = append(v.accept, s)
			return nil
		})
		fs.Func("reject", "reject a requirement: `REQUIREMENT_ID=REASON`, the reason shown to the partner (repeatable)", func(s string) error {
			v.reject = append(v.reject, s)
			return nil
		})
		fs.BoolVar(&v.acceptAll, "accept-all", false, "accept every requirement waiting for review (except those --reject names)")
		fs.Func("deny", "deny the customer for good, for `REASON` (kept for operators; alone)", func(s string) error {
			v.deny, v.denySet = s, true
			return nil
		})
		pos, err := parseInterspersed(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return errors.New("kyc decide: want exactly one CUSTOMER_ID")
		}
		return m.kycDecide(ctx, d, pos[0], v, *asJSON)
	}
	return fmt.Errorf("kyc: unknown command %q (want pending or decide)", args[0])
}

// parseInterspersed parses args with fs, letting positional arguments come before, between or after the
// flags ("decide cust_1 --accept x"); it returns the positional arguments. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// The JSON shape of `kyc pending --json`: one element per customer under review.
type (
	kycPendingOut struct {
		CustomerID  string  `json:"customer_id"`
		PartnerID   string  `json:"partner_id"`
		Environment string  `json:"environment"`
		Status      string  `json:"status"`
		CPF         string  `json:"cpf"`
		CNPJ        string  `json:"cnpj"`
		Name        *string `json:"name"`
		LegalName   string  `json:"legal_name"`
		TradingName *string `json:"trading_name"`
		LegalNature string  `json:"legal_nature"`
		CreatedAt   int64   `json:"created_at"`
		// WaitingSince is when the customer last changed (it went under review then, unless a reviewer
		// judged some items early); WaitingSeconds is how long ago that was.
		WaitingSince   int64                   `json:"waiting_since"`
		WaitingSeconds int64                   `json:"waiting_seconds"`
		Requirements   []kycPendingRequirement `json:"requirements"`
	}
	kycPendingRequirement struct {
		RequirementID   string          `json:"requirement_id"`
		RequirementType string          `json:"requirement_type"`
		Label           string          `json:"label"`
		Mandatory       bool            `json:"mandatory"`
		SubjectName     *string         `json:"subject_name"`
		SubjectType     *string         `json:"subject_type"`
		EvidenceType    string          `json:"evidence_type"`
		Rejections      int             `json:"rejections"`
		Attachments     []kycAttachment `json:"attachments"`
	}
	kycAttachment struct {
		AttachmentType string `json:"attachment_type"`
		// Value is a data requirement's value (an e-mail address); File is the stored file of a document.
		Value *string  `json:"value"`
		File  *kycFile `json:"file"`
	}
	kycFile struct {
		ID          string `json:"id"`
		ContentType string `json:"content_type"`
		Size        int64  `json:"size"`
		SHA256      string `json:"sha256"`
		BlobKey     string `json:"blob_key"`
		// Path is where the file lies: the blob key under <data dir>/blobs ("" when the key is not a local
		// path, which a key the platform stored never is).
		Path       string `json:"path"`
		UploadedAt int64  `json:"uploaded_at"`
	}
)

// kycPending lists the customers under review in env ("" for both), the longest waiting first.
func (m *Main) kycPending(ctx context.Context, d dbFlags, env lending.Environment, limit int, asJSON bool) error {
	clk := clock.System{}
	st, err := m.openStore(ctx, d, clk)
	if err != nil {
		return err
	}
	defer st.Close()
	cs, err := st.CustomersInStatus(ctx, env, lending.CustomerUnderReview, limit)
	if err != nil {
		return err
	}
	blobsDir, err := filepath.Abs(filepath.Join(d.dataDir, "blobs"))
	if err != nil {
		return err
	}
	now := clk.Now()
	out := make([]kycPendingOut, 0, len(cs))
	for _, c := range cs {
		files, err := st.KYCFiles(ctx, c.Scope, c.ID)
		if err != nil {
			return err
		}
		out = append(out, pendingOf(c, files, blobsDir, now))
	}
	if asJSON {
		return json.NewEncoder(m.Stdout).Encode(out)
	}
	return writePending(m.Stdout, out, env, blobsDir)
}

// pendingOf returns the listing of customer c, whose stored files are files.
func pendingOf(c lending.Customer, files []lending.KYCFile, blobsDir string, now time.Time) kycPendingOut {
	byID := make(map[string]lending.KYCFile, len(files))
	for _, f := range files {
		byID[f.ID] = f
	}
	o := kycPendingOut{CustomerID: c.ID, PartnerID: c.Scope.PartnerID, Environment: string(c.Scope.Environment),
		Status: string(c.Status), CPF: c.CPF.Format(), CNPJ: c.CNPJ.Format(), Name: c.Name, LegalName: c.LegalName,
		TradingName: c.TradingName, LegalNature: string(c.LegalNature), CreatedAt: c.CreatedAt.Unix(),
		WaitingSince: c.UpdatedAt.Unix(), WaitingSeconds: int64(max(now.Sub(c.UpdatedAt), 0) / time.Second),
		Requirements: []kycPendingRequirement{}}
	pending := c.PendingReview()
	for _, r := range c.KYC {
		if !slices.Contains(pending, r.ID) {
			continue
		}
		pr := kycPendingRequirement{RequirementID: r.ID, RequirementType: string(r.Type), Label: r.Label,
			Mandatory: r.Mandatory, EvidenceType: r.Submitted.EvidenceType, Rejections: r.Submitted.Rejections,
			Attachments: make([]kycAttachment, 0, len(r.Submitted.Attachments))}
		if r.Subject != nil {
			name, typ := r.Subject.Name, string(r.Subject.Type)
			pr.SubjectName, pr.SubjectType = &name, &typ
		}
		for _, a := range r.Submitted.Attachments {
			ka := kycAttachment{AttachmentType: a.Type}
			if a.Value != "" || lending.EvidenceByValue(r.Submitted.EvidenceType) {
				v := a.Value
				ka.Value = &v
			}
			if a.FileID != "" {
				kf := &kycFile{ID: a.FileID}
				if f, ok := byID[a.FileID]; ok {
					kf.ContentType, kf.Size, kf.SHA256, kf.BlobKey = f.ContentType, f.Size, f.SHA256, f.BlobKey
					kf.UploadedAt = f.UploadedAt.Unix()
					if filepath.IsLocal(filepath.FromSlash(f.BlobKey)) {
						kf.Path = filepath.Join(blobsDir, filepath.FromSlash(f.BlobKey))
					}
				}
				ka.File = kf
			}
			pr.Attachments = append(pr.Attachments, ka)
		}
		o.Requirements = append(o.Requirements, pr)
	}
	return o
}

// writePending writes the human listing of out.
func writePending(w io.Writer, out []kycPendingOut, env lending.Environment, blobsDir string) error {
	where := "in live and test"
	if env != "" {
		where = "in " + string(env)
	}
	if len(out) == 0 {
		_, err := fmt.Fprintf(w, "no customer waits for a KYC decision %s\n", where)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d customer(s) wait for a KYC decision %s, the longest waiting first; files are under %s\n", len(out), where, blobsDir)
	for _, o := range out {
		fmt.Fprintf(tw, "\n%s  %s  partner %s  waiting %s (since %s)\n", o.CustomerID, o.Environment, o.PartnerID,
			formatWait(time.Duration(o.WaitingSeconds)*time.Second), time.Unix(o.WaitingSince, 0).UTC().Format(time.RFC3339))
		fmt.Fprintf(tw, "  CPF\t%s\t%s\n", o.CPF, orDash(o.Name))
		legal := o.LegalName
		if o.LegalNature != "" {
			legal += " (" + o.LegalNature + ")"
		}
		fmt.Fprintf(tw, "  CNPJ\t%s\t%s\n", o.CNPJ, legal)
		if len(o.Requirements) == 0 {
			fmt.Fprintln(tw, "  no requirement waits for review")
			continue
		}
		fmt.Fprintln(tw, "  waiting for review:")
		fmt.Fprintln(tw, "    REQUIREMENT\tTYPE\tSUBJECT\tEVIDENCE")
		for _, r := range o.Requirements {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", r.RequirementID, r.RequirementType, orDash(r.SubjectName), r.EvidenceType)
		}
		fmt.Fprintln(tw, "  files:")
		fmt.Fprintln(tw, "    REQUIREMENT/ATTACHMENT\tFILE\tCONTENT TYPE\tSIZE\tSHA256\tPATH")
		for _, r := range o.Requirements {
			for _, a := range r.Attachments {
				slot := r.RequirementID + "/" + a.AttachmentType
				switch {
				case a.File != nil && a.File.BlobKey == "":
					fmt.Fprintf(tw, "    %s\t%s\t(no stored record)\n", slot, a.File.ID)
				case a.File != nil:
					fmt.Fprintf(tw, "    %s\t%s\t%s\t%d B\t%s\t%s\n", slot, a.File.ID, a.File.ContentType, a.File.Size,
						a.File.SHA256, orDash(&a.File.Path))
				case a.Value != nil:
					fmt.Fprintf(tw, "    %s\t(value)\t%s\n", slot, *a.Value)
				default:
					fmt.Fprintf(tw, "    %s\t(no file)\n", slot)
				}
			}
		}
	}
	return tw.Flush()
}

func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

// formatWait renders a wait roughly: 45s, 13m, 2h13m, 3d4h.
func formatWait(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// decideFlags are the verdicts of `kyc decide`, as given.
type decideFlags struct {
	accept    []string
	reject    []string // REQUIREMENT_ID=REASON
	acceptAll bool
	deny      string
	denySet   bool
}

// verdict checks the flags and returns the verdict they make for customer c: --deny alone, or the
// per-requirement decisions of --accept, --reject and --accept-all as one Decide. Every requirement named
// must wait for review.
func (v decideFlags) verdict(c lending.Customer) (customers.Verdict, error) {
	if v.denySet {
		return customers.Verdict{Deny: true, Reason: strings.TrimSpace(v.deny)}, nil
	}
	pending := c.PendingReview()
	check := func(id string) error {
		if slices.Contains(pending, id) {
			return nil
		}
		known := slices.ContainsFunc(c.KYC, func(r lending.Requirement) bool { return r.ID == id })
		what := fmt.Sprintf("customer %s has no KYC requirement %q", c.ID, id)
		if known {
			what = fmt.Sprintf("requirement %s of customer %s does not wait for review", id, c.ID)
		}
		if len(pending) == 0 {
			return fmt.Errorf("%s; nothing waits for review (the customer is %s)", what, c.Status)
		}
		return fmt.Errorf("%s; waiting for review: %s", what, strings.Join(pending, ", "))
	}
	decided := map[string]lending.Verdict{}
	var items []lending.ItemDecision
	add := func(id string, verdict lending.Verdict, reason string) error {
		if prev, ok := decided[id]; ok {
			if prev != verdict {
				return fmt.Errorf("requirement %s is both accepted and rejected", id)
			}
			return nil
		}
		if err := check(id); err != nil {
			return err
		}
		decided[id] = verdict
		items = append(items, lending.ItemDecision{RequirementID: id, Verdict: verdict, Reason: reason})
		return nil
	}
	for _, r := range v.reject {
		id, reason, _ := strings.Cut(r, "=")
		if err := add(strings.TrimSpace(id), lending.VerdictReject, strings.TrimSpace(reason)); err != nil {
			return customers.Verdict{}, err
		}
	}
	for _, id := range v.accept {
		if err := add(strings.TrimSpace(id), lending.VerdictAccept, ""); err != nil {
			return customers.Verdict{}, err
		}
	}
	if v.acceptAll {
		if len(pending) == 0 {
			return customers.Verdict{}, fmt.Errorf("--accept-all: no requirement of customer %s waits for review (the customer is %s)", c.ID, c.Status)
		}
		for _, id := range pending {
			if _, ok := decided[id]; !ok {
				if err := add(id, lending.VerdictAccept, ""); err != nil {
					return customers.Verdict{}, err
				}
			}
		}
	}
	// In the customer's order, so the decision reads like its KYC.
	slices.SortStableFunc(items, func(a, b lending.ItemDecision) int {
		return slices.IndexFunc(c.KYC, func(r lending.Requirement) bool { return r.ID == a.RequirementID }) -
			slices.IndexFunc(c.KYC, func(r lending.Requirement) bool { return r.ID == b.RequirementID })
	})
	return customers.Verdict{Items: items}, nil
}

// check validates the flags on their own, before anything is opened.
func (v decideFlags) check() error {
	if v.denySet {
		if strings.TrimSpace(v.deny) == "" {
			return errors.New("--deny needs a reason")
		}
		if len(v.accept) > 0 || len(v.reject) > 0 || v.acceptAll {
			return errors.New("--deny cannot be combined with --accept, --reject or --accept-all")
		}
		return nil
	}
	if len(v.accept) == 0 && len(v.reject) == 0 && !v.acceptAll {
		return errors.New("no verdict: give --accept, --reject, --accept-all or --deny")
	}
	for _, id := range v.accept {
		if strings.TrimSpace(id) == "" {
			return errors.New("--accept needs a requirement id")
		}
	}
	for _, r := range v.reject {
		id, reason, ok := strings.Cut(r, "=")
		if !ok || strings.TrimSpace(id) == "" || strings.TrimSpace(reason) == "" {
			return fmt.Errorf("--reject %q: want REQUIREMENT_ID=REASON, with a reason for the partner", r)
		}
	}
	return nil
}

// kycDecide applies the verdicts v to customer id through the customers service, so the decision
// records its events (and queues their webhook deliveries for the workers) like any other.
func (m *Main) kycDecide(ctx context.Context, d dbFlags, id string, v decideFlags, asJSON bool) error {
	if err := v.check(); err != nil {
		return fmt.Errorf("kyc decide: %w", err)
	}
	st, err := m.openStore(ctx, d, clock.System{})
	if err != nil {
		return err
	}
	defer st.Close()
	// Insert-only: the events' deliveries are queued for the running server or worker to send.
	pf, err := workerFlags{retryScale: 1}.platform(st, d, m.logger(slog.LevelWarn), false, "")
	if err != nil {
		return err
	}
	var c lending.Customer
	if err := st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.CustomerByIDForUpdate(ctx, id)
		return err
	}); err != nil {
		return decideError(err)
	}
	verdict, err := v.verdict(c)
	if err != nil {
		return fmt.Errorf("kyc decide: %w", err)
	}
	// The service checks again, under the customer's lock, that every decided requirement still waits.
	c, err = pf.Customers.DecideAnyScope(ctx, id, verdict)
	if err != nil {
		return decideError(err)
	}
	if asJSON {
		return json.NewEncoder(m.Stdout).Encode(wire.CustomerOf(c))
	}
	if c.Status == lending.CustomerDenied {
		_, err := fmt.Fprintf(m.Stdout, "customer %s is now %s (%s)\n", c.ID, c.Status, c.DenialReason)
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "customer %s is now %s\n", c.ID, c.Status)
	for _, r := range c.KYC {
		state, reason := "not submitted", ""
		if s := r.Submitted; s != nil {
			state = string(s.ReviewStatus)
			if s.ReviewReason != nil {
				reason = *s.ReviewReason
			}
		}
		if reason == "" {
			fmt.Fprintf(tw, "  %s\t%s\n", r.ID, state)
		} else {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.ID, state, reason)
		}
	}
	return tw.Flush()
}

// decideError returns err with a domain error's detail and code up front.
func decideError(err error) error {
	if e, ok := errors.AsType[*lending.Error](err); ok {
		return fmt.Errorf("kyc decide: %s (%s)", e.Detail, e.Code)
	}
	return fmt.Errorf("kyc decide: %w", err)
}
