// Package providers holds the platform's interfaces to the outside world, each with a sandbox
// implementation that the platform uses by default.
//
// An interface here is what a real adapter implements: Registry (a company registry such as the Receita
// Federal or a data vendor: companies by CNPJ, people's names by CPF) and KYCVerifier (who judges KYC
// evidence); a credit bureau, e-signature, Pix and payments will join them. Each comes with a sandbox
// implementation (SandboxRegistry, SandboxVerifier) that never touches the network and is deterministic:
// the same input always gets the same answer, derived from a hash of it, so tests, examples and
// partners' integrations can rely on it. Documented magic values choose the interesting cases (a legal
// nature, a closed company, an unknown number, a transient failure), and helpers such as MagicCNPJ and
// ExampleCNPJ produce valid numbers for them; docs/sandbox.md lists them for partners.
//
// Errors follow one rule: a provider's documented final answers (ErrNotFound) are final, and every other
// error is transient, so the caller retries it.
package providers
