package ccb_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/ccb"
	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/upload"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// issued is 10:30 in Brasília on 15 March 2026.
var issued = time.Date(2026, time.March, 15, 13, 30, 0, 0, time.UTC)

var (
	applicant = lending.CPFWithCheckDigits("529982247")
	coOwner   = lending.CPFWithCheckDigits("111444777")
)

// simulation prices R$ 25,000 in n installments at 2.49% a.m. with the default policy's fee, PJ, as the
// API would at issued.
func simulation(t testing.TB, n int) lending.Simulation {
	t.Helper()
	c := lending.Customer{ID: "cust_ccb", Status: lending.CustomerActive}
	terms := lending.CreditTerms{ApprovedAmount: 50_000_00, MinAmount: 1_000_00, MonthlyRate: "2.49", Installments: n,
		FeeRate: "2", FeeMin: 50_00, FeeMax: 1_500_00, IOFRegime: lending.IOFRegimePJ}
	o, err := lending.NewCreditOffer(c, terms, 30*24*time.Hour, issued)
	if err != nil {
		t.Fatal(err)
	}
	s, err := lending.Simulate(o, 25_000_00, n, issued, finmath.DefaultIOFTable())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func input(t testing.TB, n int) ccb.Input {
	t.Helper()
	return ccb.Input{
		Number:   "CCB-2026-000123",
		IssuedAt: issued,
		Place:    "São Paulo, SP",
		Issuer: ccb.Party{Name: "Padaria Pão de Açúcar Ltda.", Document: lending.CNPJWithCheckDigits("112223330001").Format(),
			Address: "Rua Augusta, 1500, Consolação, São Paulo, SP, CEP 01304-001"},
		Creditor: ccb.Party{Name: "Dinie Sociedade de Crédito Direto S.A.", Document: lending.CNPJWithCheckDigits("453339990001").Format(),
			Address: "Avenida Paulista, 1000, Bela Vista, São Paulo, SP"},
		Signers: []ccb.Signer{
			{Name: "João Conceição Araújo", CPF: applicant, Role: "Emitente (representante legal)"},
			{Name: "Maria Lúcia Gonçalves", CPF: coOwner, Role: "Sócio(a) avalista/co-titular"},
		},
		Simulation: simulation(t, n),
		BankAccount: lending.BankAccount{BankID: "260", BankName: "Nu Pagamentos S.A.", Kind: lending.AccountChecking,
			Branch: "0001", Number: "1234567", Digit: "8"},
		LateFinePercent:            "2",
		LateInterestMonthlyPercent: "1",
		IOFRegime:                  lending.IOFRegimePJ,
	}
}

// TestArt29 checks every requirement of Lei 10.931/2004 art. 29 is in the text.
func TestArt29(t *testing.T) {
	t.Parallel()
	in := input(t, 12)
	text := strings.Join(ccb.Text(in), "\n")
	for _, want := range []string{
		// I – the words "Cédula de Crédito Bancário".
		"Cédula de Crédito Bancário\nNº CCB-2026-000123",
		// II – the promise to pay a certain, liquid sum.
		"Pagarei(emos) por esta Cédula de Crédito Bancário ao Credor, ou à sua ordem, a quantia líquida, certa e " +
			"exigível de R$ 26.041,23 (vinte e seis mil e quarenta e um reais e vinte e três centavos)",
		// III – the date and place of payment.
		"vencendo-se a primeira em 14/04/2026 e a última em 15/03/2027",
		"O pagamento será feito na praça de São Paulo, SP",
		"12 (doze) parcelas mensais e sucessivas de R$ 2.537,15, sendo a última de R$ 2.537,13",
		// IV – the creditor's name.
		"CREDOR: Dinie Sociedade de Crédito Direto S.A., pessoa jurídica inscrita no CNPJ sob o nº 45.333.999/0001-",
		// V – the place and date of issue.
		"São Paulo, SP, 15 de março de 2026.",
		// VI – the issuer's (and guarantors') signatures.
		"______________________________________________________\nJoão Conceição Araújo\nCPF 529.982.247-25 – Emitente (representante legal)\nRegistro da assinatura eletrônica:",
		"Maria Lúcia Gonçalves\nCPF 111.444.777-35 – Sócio(a) avalista/co-titular",
		"EMITENTE: Padaria Pão de Açúcar Ltda., pessoa jurídica de direito privado inscrita no CNPJ sob o nº 11.222.333/0001-81, com sede em Rua Augusta",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q", want)
		}
	}
}

func TestTerms(t *testing.T) {
	t.Parallel()
	in := input(t, 12)
	text := strings.Join(ccb.Text(in), "\n")
	for _, want := range []string{
		"Valor liberado ao Emitente | R$ 25.000,00",
		"Tarifa de cadastro (financiada) | R$ 500,00",
		"IOF (financiado) | R$ 541,23",
		"Valor total financiado (principal) | R$ 26.041,23",
		"Juros remuneratórios (total) | R$ 4.404,55",
		"Valor total a pagar | R$ 30.445,78",
		"Taxa de juros remuneratórios (prefixada) | 2,49% a.m. e 34,33% a.a.",
		"Periodicidade da capitalização dos juros | mensal",
		"Custo Efetivo Total (CET) | 45,31% a.a. e 3,16% a.m.",
		"Data de liberação do crédito | 15/03/2026",
		// IOF note.
		"O IOF de R$ 541,23 foi calculado às alíquotas do art. 7º do Decreto nº 6.306/2007 aplicáveis a pessoa jurídica",
		"O IOF é financiado",
		// Capitalization and its periodicity (art. 28 § 1º I).
		"capitalizados mensalmente, como autoriza o art. 28, § 1º, I, da Lei nº 10.931/2004; a periodicidade da capitalização é mensal",
		// CET (Res. 4.881 arts. 4º and 7º).
		"Quadro III – Demonstrativo do CET (Resolução CMN nº 4.881/2020, art. 7º)",
		"CET: 45,31% ao ano, equivalente a 3,16% ao mês",
		// Disbursement account.
		"por transferência Pix para a conta de titularidade do Emitente no banco 260 – Nu Pagamentos S.A., agência 0001, conta corrente nº 1234567-8",
		// Late payment, stated explicitly.
		"juros de mora de 1% (um por cento) ao mês, calculados pro rata die",
		"multa de 2% (dois por cento) sobre o valor em atraso",
		"Não será cobrada comissão de permanência, nem cumulada com outros encargos (Súmula 472 do Superior Tribunal de Justiça)",
		"Lei nº 14.905/2024",
		// Executive title, guarantee, e-signature, forum.
		"Esta Cédula é título executivo extrajudicial",
		"art. 28 da Lei nº 10.931/2004 e do art. 784, XII, do Código de Processo Civil",
		"Cláusula 9ª – Aval",
		"art. 10, § 2º, da Medida Provisória nº 2.200-2/2001 e da Lei nº 14.063/2020",
		"Fica eleito o foro da comarca de São Paulo, SP",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q", want)
		}
	}
	// Without a guarantor there is no aval clause.
	in.Signers = in.Signers[:1]
	if text := strings.Join(ccb.Text(in), "\n"); strings.Contains(text, "– Aval") || strings.Contains(text, "Maria") {
		t.Errorf("the aval clause or the co-owner is there without a guarantor")
	}
}

func TestDemonstrativo(t *testing.T) {
	t.Parallel()
	text := ccb.Text(input(t, 12))
	i := indexOf(text, "Componente | Valor (R$) | % do valor total financiado")
	if i < 0 {
		t.Fatalf("no demonstrativo table")
	}
	// 25000/26041.23 = 96.0016…%, 500/26041.23 = 1.9200…%, 541.23/26041.23 = 2.0783…%,
	// 4404.55/26041.23 = 16.9137…%, 30445.78/26041.23 = 116.9137…%.
	want := []string{
		"Valor liberado ao Emitente | R$ 25.000,00 | 96,00%",
		"Tarifa de cadastro | R$ 500,00 | 1,92%",
		"IOF | R$ 541,23 | 2,08%",
		"Valor total financiado | R$ 26.041,23 | 100,00%",
		"Juros remuneratórios | R$ 4.404,55 | 16,91%",
		"Valor total a pagar | R$ 30.445,78 | 116,91%",
	}
	if diff := cmp.Diff(want, text[i+1:i+1+len(want)]); diff != "" {
		t.Errorf("demonstrativo (-want +got):\n%s", diff)
	}
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

// TestSchedule checks the schedule table has one row per installment, with the simulation's values.
func TestSchedule(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 12, 48} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			in := input(t, n)
			text := ccb.Text(in)
			i := indexOf(text, "Nº | Vencimento | Valor da parcela | Juros | Amortização | Saldo devedor")
			if i < 0 {
				t.Fatalf("no schedule table")
			}
			var want []string
			for _, it := range in.Simulation.Schedule {
				d, _ := time.Parse(time.DateOnly, it.DueDate)
				want = append(want, fmt.Sprintf("%d | %s | %s | %s | %s | %s", it.Number, d.Format("02/01/2006"),
					brl(it.Amount), brl(it.Interest), brl(it.Principal), brl(it.Balance)))
			}
			s := in.Simulation
			want = append(want, fmt.Sprintf("Total |  | %s | %s | %s | ", brl(s.Total), brl(s.Interest), brl(s.Principal)))
			if diff := cmp.Diff(want, text[i+1:min(len(text), i+2+n)]); diff != "" {
				t.Errorf("schedule rows (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(text[i+2+n], "Cláusula 1ª") {
				t.Errorf("after the schedule comes %q", text[i+2+n])
			}
		})
	}
}

// brl is an independent formatter for the tests: "R$ 1.234,56" from centavos.
func brl(c finmath.Cents) string {
	reais := fmt.Sprint(int64(c) / 100)
	var b strings.Builder
	for i := range reais {
		if i > 0 && (len(reais)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteByte(reais[i])
	}
	return fmt.Sprintf("R$ %s,%02d", b.String(), int64(c)%100)
}

func TestRender(t *testing.T) {
	t.Parallel()
	in := input(t, 12)
	b, err := ccb.Render(in)
	if err != nil {
		t.Fatal(err)
	}
	if kind, err := upload.Inspect(b); err != nil || kind != upload.KindPDF {
		t.Errorf("upload.Inspect = %q, %v", kind, err)
	}
	again, err := ccb.Render(input(t, 12)) // a new simulation (new id) of the same loan
	if err != nil || !bytes.Equal(b, again) {
		t.Errorf("rendering the same cédula twice gave different bytes (%v)", err)
	}
	in.Number = "CCB-2026-000124"
	other, _ := ccb.Render(in)
	if bytes.Equal(b, other) {
		t.Errorf("another number gave the same bytes")
	}
	if !bytes.Contains(b, []byte("/CreationDate (D:20260315103000-03'00')")) {
		t.Errorf("the creation date is not the date of issue in Brasília")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base := input(t, 12)
	if err := base.Validate(); err != nil {
		t.Fatalf("valid input: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*ccb.Input)
		want   string
	}{
		{"no number", func(in *ccb.Input) { in.Number = " " }, "no number"},
		{"no date", func(in *ccb.Input) { in.IssuedAt = time.Time{} }, "no date of issue"},
		{"no place", func(in *ccb.Input) { in.Place = "" }, "no place of issue"},
		{"no issuer document", func(in *ccb.Input) { in.Issuer.Document = "" }, "issuer needs"},
		{"no creditor", func(in *ccb.Input) { in.Creditor.Name = "" }, "creditor needs"},
		{"no signers", func(in *ccb.Input) { in.Signers = nil }, "no signers"},
		{"signer without CPF", func(in *ccb.Input) { in.Signers = []ccb.Signer{{Name: "X", Role: "Emitente"}} }, "signer 1 needs"},
		{"short schedule", func(in *ccb.Input) { in.Simulation.Schedule = in.Simulation.Schedule[:11] }, "schedule of 11"},
		{"schedule not summing", func(in *ccb.Input) {
			in.Simulation.Schedule = append([]lending.ScheduleItem(nil), in.Simulation.Schedule...)
			in.Simulation.Schedule[3].Amount++
		}, "the schedule sums to"},
		{"bad due date", func(in *ccb.Input) {
			in.Simulation.Schedule = append([]lending.ScheduleItem(nil), in.Simulation.Schedule...)
			in.Simulation.Schedule[0].DueDate = "14/04/2026"
		}, "installment 1"},
		{"bad principal", func(in *ccb.Input) { in.Simulation.IOF++ }, "is not requested"},
		{"bad rate", func(in *ccb.Input) { in.Simulation.AnnualCET = "45,31" }, `percent "45,31"`},
		{"fine above 2", func(in *ccb.Input) { in.LateFinePercent = "2.01" }, "late fine"},
		{"mora above 1", func(in *ccb.Input) { in.LateInterestMonthlyPercent = "1.5" }, "late interest"},
		{"no mora", func(in *ccb.Input) { in.LateInterestMonthlyPercent = "" }, "late interest"},
		{"no account", func(in *ccb.Input) { in.BankAccount = lending.BankAccount{} }, "disbursement account"},
	} {
		in := base
		tc.change(&in)
		err := in.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error about %q", tc.name, err, tc.want)
		}
		if b, err := ccb.Render(in); err == nil || b != nil {
			t.Errorf("%s: Render did not refuse", tc.name)
		}
	}
	// The zero Input is refused by Render, and Text still writes what it can.
	if _, err := ccb.Render(ccb.Input{}); err == nil {
		t.Errorf("Render(Input{}) did not refuse")
	}
	if text := ccb.Text(ccb.Input{}); len(text) == 0 {
		t.Errorf("Text(Input{}) is empty")
	}
	// Whole rates written with decimals are still spelled out.
	in := base
	in.LateFinePercent, in.LateInterestMonthlyPercent = "2.00", "1.0"
	if text := strings.Join(ccb.Text(in), "\n"); !strings.Contains(text, "juros de mora de 1% (um por cento) ao mês") ||
		!strings.Contains(text, "multa de 2% (dois por cento)") {
		t.Errorf("late rates 2.00 and 1.0 are not stated as 2%% and 1%% in words")
	}
	// Fractional late rates below the caps are fine, and shown without words.
	in = base
	in.LateFinePercent, in.LateInterestMonthlyPercent = "1.5", "0.99"
	if err := in.Validate(); err != nil {
		t.Errorf("fine 1.5, mora 0.99: %v", err)
	}
	text := strings.Join(ccb.Text(in), "\n")
	if !strings.Contains(text, "juros de mora de 0,99% ao mês") || !strings.Contains(text, "multa de 1,5% sobre") {
		t.Errorf("fractional late rates are not stated as given")
	}
}

// TestGoldenText keeps the whole text of a 12-installment cédula in testdata, for review.
func TestGoldenText(t *testing.T) {
	t.Parallel()
	got := strings.Join(ccb.Text(input(t, 12)), "\n\n") + "\n"
	path := filepath.Join("testdata", "ccb12.golden.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenText -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("the cédula text differs from %s (-want +got); if intended, rerun with -update:\n%s", path, diff)
	}
}

// TestPdftotext reads the rendered cédula back with poppler's pdftotext, when installed.
func TestPdftotext(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not found (Debian: apt-get install poppler-utils); skipping the real-reader check, the other tests still ran")
	}
	for _, n := range []int{12, 48} {
		in := input(t, n)
		b, err := ccb.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "ccb.pdf")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v\n%s", err, out)
		}
		flat := strings.Join(strings.Fields(string(out)), " ")
		s := in.Simulation
		last := s.Schedule[n-1]
		for _, want := range []string{
			"Cédula de Crédito Bancário", "Nº CCB-2026-000123",
			"Pagarei(emos) por esta Cédula de Crédito Bancário ao Credor, ou à sua ordem, a quantia líquida, certa e exigível de " + brl(s.Principal),
			brl(s.Requested), brl(s.Fee), brl(s.IOF), brl(s.Total), brl(last.Amount),
			"Padaria Pão de Açúcar Ltda.", "João Conceição Araújo", "Maria Lúcia Gonçalves", "Sócio(a) avalista/co-titular",
			"“Emitente”", "art. 28, § 1º, I", "Súmula 472", "São Paulo, SP, 15 de março de 2026.",
			"Registro da assinatura eletrônica:", "Página 1 de ",
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("%d installments: pdftotext output lacks %q", n, want)
			}
		}
	}
}

func benchmarkRender(b *testing.B, n int) {
	in := input(b, n)
	var size int
	for b.Loop() {
		out, err := ccb.Render(in)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}

// BenchmarkRender12 renders a 12-installment cédula.
func BenchmarkRender12(b *testing.B) { benchmarkRender(b, 12) }

// BenchmarkRender48 renders a 48-installment cédula.
func BenchmarkRender48(b *testing.B) { benchmarkRender(b, 48) }
