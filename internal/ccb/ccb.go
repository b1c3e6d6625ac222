// Package ccb writes the Cédula de Crédito Bancário (CCB, Lei 10.931/2004 arts. 26–45) of a loan: the
// credit instrument the borrower company issues to the lender and its signers sign electronically.
//
// [Text] gives the document's blocks of text and [Render] lays the same blocks out as a PDF (package
// pdf). Both are pure: no I/O, no clock; the same [Input] always gives the same text and the same bytes.
//
// The document carries what art. 29 requires (the words "Cédula de Crédito Bancário", the promise to pay
// a certain, liquid sum, the date and place of payment, the creditor's name, the place and date of
// issue, and a signature block for the issuer and every guarantor); the rates and their capitalization
// periodicity (art. 28 § 1º I); the CET and its demonstrativo (Res. CMN 4.881/2020 arts. 4º and 7º); the
// whole payment schedule; and the late-payment charges stated explicitly (Lei 14.905/2024; STJ Súmula
// 472), as spec/domain.md §5.3, §5.5, §5.7 and §5.8 describe.
package ccb

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/pdf"
)

// Party is a party named in the cédula.
type Party struct {
	// Name is the razão social (legal name).
	Name string
	// Document is the CPF or CNPJ, formatted ("11.222.333/0001-81").
	Document string
	// Address is the full address; it may be empty.
	Address string
}

// Signer is a person who signs the cédula.
type Signer struct {
	Name string
	CPF  lending.CPF
	// Role is the capacity the person signs in, as it is to be printed: "Emitente (representante
	// legal)", "Sócio(a) avalista/co-titular". A role that contains "avalista" makes the signer a
	// guarantor (avalista) of the cédula, and the aval clause is included.
	Role string
}

// Input is everything a cédula says.
type Input struct {
	// Number is the cédula's number ("CCB-2026-000123").
	Number string
	// IssuedAt is the moment of issue; its date in Brasília is the date of issue, and it is the PDF's
	// creation date (in Brasília time).
	IssuedAt time.Time
	// Place is the place of issue ("São Paulo, SP"); it is also the place of payment and the forum.
	Place string
	// Issuer (emitente) is the borrower company: razão social and CNPJ.
	Issuer Party
	// Creditor is the lender of record.
	Creditor Party
	// Signers sign the cédula, in the order given: the issuer's legal representative first, then any
	// guarantors.
	Signers []Signer
	// Simulation is the priced loan: amounts, rates, CET, schedule, disbursement and due dates.
	Simulation lending.Simulation
	// BankAccount is the issuer's account the credit is disbursed to (by Pix).
	BankAccount lending.BankAccount
	// LateFinePercent and LateInterestMonthlyPercent are the late-payment fine (multa, at most 2) and
	// the monthly late interest (juros de mora, at most 1), as percent decimals ("2", "1").
	LateFinePercent, LateInterestMonthlyPercent string
	// IOFRegime is how the IOF was charged; empty means pessoa jurídica.
	IOFRegime lending.IOFRegime
}

// Caps on the late-payment charges (domain.md §5.7): the market-standard fine of 2% (CDC art. 52 § 1º
// for consumers) and juros de mora of 1% a month (STJ Súmula 379).
const (
	maxLateFinePercent     = 2
	maxLateInterestPercent = 1
)

// Validate reports what makes in unfit to be a cédula: a missing number, party, place, date or signer,
// an empty or inconsistent schedule, a date or rate that does not parse, or late charges above the caps.
// All problems are reported at once.
func (in Input) Validate() error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	s := in.Simulation
	if strings.TrimSpace(in.Number) == "" {
		fail("the cédula has no number")
	}
	if in.IssuedAt.IsZero() {
		fail("the cédula has no date of issue")
	}
	if strings.TrimSpace(in.Place) == "" {
		fail("the cédula has no place of issue")
	}
	for _, p := range []struct {
		what  string
		party Party
	}{{"issuer", in.Issuer}, {"creditor", in.Creditor}} {
		if strings.TrimSpace(p.party.Name) == "" || strings.TrimSpace(p.party.Document) == "" {
			fail("the %s needs a name and a CPF or CNPJ", p.what)
		}
	}
	if len(in.Signers) == 0 {
		fail("the cédula has no signers (the issuer must sign it, Lei 10.931/2004 art. 29 VI)")
	}
	for i, sg := range in.Signers {
		if strings.TrimSpace(sg.Name) == "" || len(sg.CPF) != 11 || strings.TrimSpace(sg.Role) == "" {
			fail("signer %d needs a name, a CPF and a role", i+1)
		}
	}
	if len(s.Schedule) == 0 || len(s.Schedule) != s.InstallmentCount {
		fail("the simulation has %d installments but a schedule of %d", s.InstallmentCount, len(s.Schedule))
	}
	if s.Principal != s.Requested+s.Fee+s.IOF {
		fail("the principal %s is not requested %s + fee %s + IOF %s", s.Principal, s.Requested, s.Fee, s.IOF)
	}
	var paid, interest, amortized finmath.Cents
	for i, it := range s.Schedule {
		if it.Number != i+1 {
			fail("installment %d is numbered %d", i+1, it.Number)
		}
		if _, err := FormatDate(it.DueDate); err != nil {
			fail("installment %d: %v", i+1, err)
		}
		paid, interest, amortized = paid+it.Amount, interest+it.Interest, amortized+it.Principal
	}
	if len(s.Schedule) > 0 && (paid != s.Total || interest != s.Interest || amortized != s.Principal) {
		fail("the schedule sums to %s paid, %s interest and %s amortized, not the simulation's %s, %s and %s",
			paid, interest, amortized, s.Total, s.Interest, s.Principal)
	}
	for _, d := range []string{s.DisbursementDate, s.FirstDueDate} {
		if _, err := FormatDate(d); err != nil {
			fail("%v", err)
		}
	}
	for _, r := range []string{s.MonthlyRate, s.AnnualRate, s.MonthlyCET, s.AnnualCET} {
		if _, err := FormatPercent(r, 2); err != nil {
			fail("%v", err)
		}
	}
	for _, c := range []struct {
		what, value string
		cap         int64
	}{{"late fine", in.LateFinePercent, maxLateFinePercent}, {"late interest", in.LateInterestMonthlyPercent, maxLateInterestPercent}} {
		r, ok := new(big.Rat).SetString(c.value)
		if _, err := FormatPercent(c.value, 0); err != nil || !ok || r.Sign() < 0 || r.Cmp(big.NewRat(c.cap, 1)) > 0 {
			fail("the %s is a percent from 0 to %d, not %q", c.what, c.cap, c.value)
		}
	}
	a := in.BankAccount
	if a.BankID == "" || a.Branch == "" || a.Number == "" {
		fail("the disbursement account needs a bank, a branch and a number")
	}
	if len(errs) > 0 {
		return fmt.Errorf("ccb: %w", errors.Join(errs...))
	}
	return nil
}

// Render returns the cédula as a PDF file, after checking in with [Input.Validate].
func Render(in Input) ([]byte, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	d := pdf.New("Cédula de Crédito Bancário nº " + in.Number)
	d.SetLang("pt-BR")
	for _, b := range build(in) {
		switch b.kind {
		case kindTitle:
			d.Title(b.text)
		case kindHeading:
			d.Heading(b.text)
		case kindParagraph:
			d.Paragraph(b.text)
		case kindTable:
			d.Table(b.headers, b.rows, b.align)
		case kindSpace:
			d.Spacer(b.space)
		case kindKeep:
			d.NeedSpace(b.space)
		}
	}
	return d.Bytes(in.IssuedAt.In(lending.Brasilia))
}

// Text returns the cédula's text, block by block, exactly as [Render] lays it out: the title, each
// heading and paragraph, and each table row with its cells joined by " | " (header rows included). It
// does not validate in; what does not parse is shown as it is.
func Text(in Input) []string {
	var out []string
	for _, b := range build(in) {
		switch b.kind {
		case kindTitle, kindHeading, kindParagraph:
			out = append(out, b.text)
		case kindTable:
			if b.headers != nil {
				out = append(out, strings.Join(b.headers, " | "))
			}
			for _, r := range b.rows {
				out = append(out, strings.Join(r, " | "))
			}
		}
	}
	return out
}

type kind int

const (
	kindTitle kind = iota
	kindHeading
	kindParagraph
	kindTable
	kindSpace // vertical space of space mm
	kindKeep  // keep space mm together
)

// block is one element of the document.
type block struct {
	kind    kind
	text    string
	headers []string
	rows    [][]string
	align   []pdf.Align
	space   float64
}

// doc accumulates blocks.
type doc struct{ blocks []block }

func (d *doc) title(s string)   { d.blocks = append(d.blocks, block{kind: kindTitle, text: s}) }
func (d *doc) heading(s string) { d.blocks = append(d.blocks, block{kind: kindHeading, text: s}) }
func (d *doc) space(mm float64) { d.blocks = append(d.blocks, block{kind: kindSpace, space: mm}) }
func (d *doc) keep(mm float64)  { d.blocks = append(d.blocks, block{kind: kindKeep, space: mm}) }
func (d *doc) para(format string, a ...any) {
	d.blocks = append(d.blocks, block{kind: kindParagraph, text: fmt.Sprintf(format, a...)})
}
func (d *doc) table(h []string, r [][]string, a ...pdf.Align) {
	d.blocks = append(d.blocks, block{kind: kindTable, headers: h, rows: r, align: a})
}

// Lenient formatters for Text, which does not validate: what does not parse is shown as it is.

func date(iso string) string {
	if s, err := FormatDate(iso); err == nil {
		return s
	}
	return iso
}

func pct(p string) string {
	if s, err := FormatPercent(p, 2); err == nil {
		return s
	}
	return p + "%"
}

// plainPct writes a stated percent without padding, with the number in words when it is whole:
// "2% (dois por cento)", "0,5%".
func plainPct(p string) string {
	s, err := FormatPercent(p, 0)
	if err != nil {
		return p + "%"
	}
	if r, ok := new(big.Rat).SetString(p); ok && r.IsInt() && r.Sign() >= 0 && r.Num().IsInt64() {
		if w := spellInt(r.Num().Int64(), false); w != "" {
			return s + " (" + w + " por cento)"
		}
	}
	return s
}

// brl writes an amount with the amount in words: "R$ 1.000,00 (mil reais)".
func brl(c finmath.Cents) string {
	if w := SpellBRL(c); w != "" {
		return FormatBRL(c) + " (" + w + ")"
	}
	return FormatBRL(c)
}

// qualify writes a party's qualification: name, document and, if known, address.
func qualify(p Party, kind string) string {
	s := p.Name + ", " + kind + " inscrita no " + docKind(p.Document) + " sob o nº " + p.Document
	if a := strings.TrimSpace(p.Address); a != "" {
		s += ", com sede em " + a
	}
	return s
}

// docKind says whether a formatted document is a CPF or a CNPJ, by its number of characters.
func docKind(doc string) string {
	n := 0
	for _, r := range doc {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' {
			n++
		}
	}
	if n == 11 {
		return "CPF"
	}
	return "CNPJ"
}

func accountKind(k lending.BankAccountKind) string {
	switch k {
	case lending.AccountSaving:
		return "conta poupança"
	case lending.AccountPayment:
		return "conta de pagamento"
	}
	return "conta corrente"
}

func iofRegime(r lending.IOFRegime) string {
	if r == lending.IOFRegimeSimples {
		return "pessoa jurídica optante pelo Simples Nacional"
	}
	return "pessoa jurídica"
}

// build writes the cédula as blocks.
func build(in Input) []block {
	s := in.Simulation
	d := &doc{}
	issued := in.IssuedAt.In(lending.Brasilia)
	n := len(s.Schedule)
	first, last := s.FirstDueDate, s.FirstDueDate
	lastAmount := s.InstallmentAmount
	if n > 0 {
		last, lastAmount = s.Schedule[n-1].DueDate, s.Schedule[n-1].Amount
	}
	installments := fmt.Sprintf("%d (%s) parcelas mensais e sucessivas", n, spellInt(int64(n), true))
	if n == 1 {
		installments = "1 (uma) parcela"
	}
	amounts := "de " + FormatBRL(s.InstallmentAmount)
	if n > 1 && lastAmount != s.InstallmentAmount {
		amounts = fmt.Sprintf("de %s, sendo a última de %s", FormatBRL(s.InstallmentAmount), FormatBRL(lastAmount))
	}
	a := in.BankAccount
	bank := a.BankID
	if a.BankName != "" {
		bank += " – " + a.BankName
	}
	account := a.Number
	if a.Digit != "" {
		account += "-" + a.Digit
	}
	var guarantors bool
	for _, sg := range in.Signers {
		if strings.Contains(strings.ToLower(sg.Role), "avalista") {
			guarantors = true
		}
	}

	d.title("Cédula de Crédito Bancário\nNº " + in.Number)
	d.para("Emitida nos termos da Lei nº 10.931, de 2 de agosto de 2004 (arts. 26 a 45), em %s, em %s.",
		in.Place, longDate(issued))

	d.heading("Quadro I – Partes")
	d.para("EMITENTE: %s, neste ato representada na forma de seus atos constitutivos, doravante denominada "+
		"simplesmente “Emitente”.", qualify(in.Issuer, "pessoa jurídica de direito privado"))
	d.para("CREDOR: %s, doravante denominado simplesmente “Credor”.", qualify(in.Creditor, "pessoa jurídica"))
	var signers []string
	for _, sg := range in.Signers {
		signers = append(signers, fmt.Sprintf("%s, CPF %s, na qualidade de %s", sg.Name, sg.CPF.Format(), sg.Role))
	}
	d.para("SIGNATÁRIOS: %s.", strings.Join(signers, "; "))

	d.heading("Quadro II – Características da operação")
	d.table(nil, [][]string{
		{"Valor liberado ao Emitente", FormatBRL(s.Requested)},
		{"Tarifa de cadastro (financiada)", FormatBRL(s.Fee)},
		{"IOF (financiado)", FormatBRL(s.IOF)},
		{"Valor total financiado (principal)", FormatBRL(s.Principal)},
		{"Juros remuneratórios (total)", FormatBRL(s.Interest)},
		{"Valor total a pagar", FormatBRL(s.Total)},
		{"Taxa de juros remuneratórios (prefixada)", pct(s.MonthlyRate) + " a.m. e " + pct(s.AnnualRate) + " a.a."},
		{"Periodicidade da capitalização dos juros", "mensal"},
		{"Custo Efetivo Total (CET)", pct(s.AnnualCET) + " a.a. e " + pct(s.MonthlyCET) + " a.m."},
		{"Sistema de amortização", "Sistema Francês (Tabela Price)"},
		{"Parcelas", installments + " " + amounts},
		{"Data de liberação do crédito", date(s.DisbursementDate)},
		{"Vencimento da primeira e da última parcela", date(first) + " e " + date(last)},
		{"Praça de pagamento", in.Place},
		{"Regime de IOF", iofRegime(in.IOFRegime)},
	}, pdf.AlignLeft, pdf.AlignLeft)

	d.heading("Quadro III – Demonstrativo do CET (Resolução CMN nº 4.881/2020, art. 7º)")
	d.table([]string{"Componente", "Valor (R$)", "% do valor total financiado"}, [][]string{
		{"Valor liberado ao Emitente", FormatBRL(s.Requested), percentOf(s.Requested, s.Principal)},
		{"Tarifa de cadastro", FormatBRL(s.Fee), percentOf(s.Fee, s.Principal)},
		{"IOF", FormatBRL(s.IOF), percentOf(s.IOF, s.Principal)},
		{"Valor total financiado", FormatBRL(s.Principal), percentOf(s.Principal, s.Principal)},
		{"Juros remuneratórios", FormatBRL(s.Interest), percentOf(s.Interest, s.Principal)},
		{"Valor total a pagar", FormatBRL(s.Total), percentOf(s.Total, s.Principal)},
	}, pdf.AlignLeft, pdf.AlignRight, pdf.AlignRight)
	d.para("CET: %s ao ano, equivalente a %s ao mês. O CET é a taxa anual que iguala, na data de liberação, "+
		"o valor liberado ao Emitente ao valor presente das parcelas, contados os dias corridos entre a "+
		"liberação e cada vencimento sobre um ano de 365 dias (Resolução CMN nº 4.881/2020, art. 4º); nele estão "+
		"incluídos os juros remuneratórios, a tarifa de cadastro e o IOF. O Emitente declara ter recebido este "+
		"demonstrativo antes da contratação.", pct(s.AnnualCET), pct(s.MonthlyCET))

	d.heading("Quadro IV – Cronograma de pagamento")
	rows := make([][]string, 0, n+1)
	var paid, interest, amortized finmath.Cents
	for _, it := range s.Schedule {
		rows = append(rows, []string{strconv.Itoa(it.Number), date(it.DueDate), FormatBRL(it.Amount),
			FormatBRL(it.Interest), FormatBRL(it.Principal), FormatBRL(it.Balance)})
		paid, interest, amortized = paid+it.Amount, interest+it.Interest, amortized+it.Principal
	}
	rows = append(rows, []string{"Total", "", FormatBRL(paid), FormatBRL(interest), FormatBRL(amortized), ""})
	d.table([]string{"Nº", "Vencimento", "Valor da parcela", "Juros", "Amortização", "Saldo devedor"}, rows,
		pdf.AlignCenter, pdf.AlignCenter, pdf.AlignRight, pdf.AlignRight, pdf.AlignRight, pdf.AlignRight)

	clause := 0
	heading := func(title string) {
		clause++
		d.heading(fmt.Sprintf("Cláusula %dª – %s", clause, title))
	}
	heading("Promessa de pagamento")
	d.para("Pagarei(emos) por esta Cédula de Crédito Bancário ao Credor, ou à sua ordem, a quantia líquida, "+
		"certa e exigível de %s, correspondente ao valor total financiado indicado no Quadro II, acrescida de "+
		"juros remuneratórios prefixados de %s ao mês, equivalentes a %s ao ano, em %s %s, vencendo-se a "+
		"primeira em %s e a última em %s, nas datas e valores do Cronograma de Pagamento (Quadro IV), "+
		"no valor total de %s. O pagamento será feito na praça de %s, na forma prevista nesta Cédula.",
		brl(s.Principal), pct(s.MonthlyRate), pct(s.AnnualRate), installments, amounts, date(first), date(last),
		brl(s.Total), in.Place)

	heading("Liberação do crédito")
	d.para("O Credor liberará ao Emitente o valor de %s por transferência Pix para a conta de titularidade do "+
		"Emitente no banco %s, agência %s, %s nº %s. A tarifa de cadastro de %s e o IOF de %s são financiados: "+
		"integram o valor total financiado de %s e não são descontados do valor liberado. O Cronograma de "+
		"Pagamento, o IOF e o CET foram calculados com a liberação em %s.",
		brl(s.Requested), bank, a.Branch, accountKind(a.Kind), account, FormatBRL(s.Fee), FormatBRL(s.IOF),
		FormatBRL(s.Principal), date(s.DisbursementDate))

	heading("Juros remuneratórios e capitalização")
	d.para("Os juros remuneratórios são prefixados à taxa efetiva de %s ao mês, equivalente a %s ao ano, "+
		"capitalizados mensalmente, como autoriza o art. 28, § 1º, I, da Lei nº 10.931/2004; a periodicidade da "+
		"capitalização é mensal. As parcelas foram calculadas pelo Sistema Francês de Amortização (Tabela "+
		"Price): os juros de cada parcela correspondem a um mês de juros sobre o saldo devedor anterior, e o "+
		"restante da parcela amortiza o principal. Os valores são arredondados ao centavo, e a última parcela "+
		"absorve o resíduo do arredondamento.", pct(s.MonthlyRate), pct(s.AnnualRate))

	heading("Imposto sobre Operações Financeiras (IOF)")
	d.para("O IOF de %s foi calculado às alíquotas do art. 7º do Decreto nº 6.306/2007 aplicáveis a %s, vigentes "+
		"na data de liberação: a alíquota diária sobre o principal amortizado em cada parcela, contados os dias "+
		"da liberação ao vencimento (no máximo 365), e a alíquota adicional sobre o valor da operação. O IOF é "+
		"financiado: integra o valor total financiado e sobre ele incidem os juros remuneratórios. O atraso no "+
		"pagamento pode gerar IOF complementar, na forma da legislação.", FormatBRL(s.IOF), iofRegime(in.IOFRegime))

	heading("Forma e local de pagamento")
	d.para("As parcelas serão pagas em moeda corrente nacional, nas datas de vencimento do Cronograma de "+
		"Pagamento, na praça de %s, por boleto bancário ou Pix, conforme as instruções de cobrança que o Credor, "+
		"ou quem ele indicar, enviar ao Emitente. As datas de vencimento já recaem em dias úteis bancários; se um "+
		"vencimento recair em dia não útil, o pagamento poderá ser feito no primeiro dia útil seguinte, sem "+
		"encargos. O Emitente poderá liquidar antecipadamente o saldo devedor, total ou parcialmente, com "+
		"redução proporcional dos juros remuneratórios, na forma da regulamentação vigente.", in.Place)

	heading("Encargos por atraso")
	d.para("Sobre qualquer valor vencido e não pago incidirão, do vencimento até o efetivo pagamento: (a) os "+
		"juros remuneratórios à taxa desta Cédula; (b) juros de mora de %s ao mês, calculados pro rata die; e "+
		"(c) multa de %s sobre o valor em atraso. Não será cobrada comissão de permanência, nem cumulada com "+
		"outros encargos (Súmula 472 do Superior Tribunal de Justiça). As taxas de juros de mora e de multa "+
		"aqui previstas são expressamente convencionadas pelas partes, nos termos do art. 406 do Código Civil, "+
		"com a redação dada pela Lei nº 14.905/2024, e prevalecem sobre a taxa legal.",
		plainPct(in.LateInterestMonthlyPercent), plainPct(in.LateFinePercent))

	heading("Vencimento antecipado")
	d.para("O não pagamento de qualquer parcela no vencimento, ou o descumprimento de qualquer outra obrigação " +
		"desta Cédula, facultará ao Credor, mediante comunicação ao Emitente, considerar antecipadamente vencida " +
		"toda a dívida e exigir de imediato o saldo devedor, acrescido dos encargos por atraso.")

	heading("Título executivo extrajudicial")
	d.para("Esta Cédula é título executivo extrajudicial e representa dívida em dinheiro, certa, líquida e " +
		"exigível, seja pela soma nela indicada, seja pelo saldo devedor demonstrado em planilha de cálculo ou " +
		"em extrato de conta, nos termos do art. 28 da Lei nº 10.931/2004 e do art. 784, XII, do Código de " +
		"Processo Civil.")

	if guarantors {
		heading("Aval")
		d.para("Os signatários que firmam esta Cédula na qualidade de avalistas garantem, por aval prestado " +
			"nesta Cédula, solidariamente com o Emitente, o pagamento de todas as obrigações dela decorrentes, " +
			"nos termos do art. 27 da Lei nº 10.931/2004.")
	}

	heading("Endosso e cessão")
	d.para("Esta Cédula é transferível mediante endosso em preto, e o Credor poderá ceder ou transferir, no " +
		"todo ou em parte, os direitos dela decorrentes, independentemente de anuência do Emitente, nos termos " +
		"do art. 29, § 1º, da Lei nº 10.931/2004.")

	heading("Assinatura eletrônica")
	d.para("Esta Cédula é emitida em via eletrônica e assinada por meio eletrônico. As partes reconhecem a " +
		"autoria, a integridade e a validade das assinaturas eletrônicas apostas por meio da plataforma de " +
		"assinatura indicada pelo Credor, nos termos do art. 10, § 2º, da Medida Provisória nº 2.200-2/2001 e " +
		"da Lei nº 14.063/2020, e concordam que o registro de cada assinatura (data e hora, identificação do " +
		"signatário, endereço IP e código hash do documento assinado) integra esta Cédula. Somente a via " +
		"eletrônica assinada é negociável.")

	heading("Foro")
	d.para("Fica eleito o foro da comarca de %s, para dirimir as questões oriundas desta Cédula, sem prejuízo "+
		"de o Credor optar pelo foro do domicílio do Emitente.", in.Place)

	// The place and date of issue stay with the heading and the first signature.
	d.keep(55)
	d.space(4)
	d.para("%s, %s.", in.Place, longDate(issued))

	d.heading("Assinaturas")
	for _, sg := range in.Signers {
		d.keep(40)
		d.space(10)
		d.para("______________________________________________________\n%s\nCPF %s – %s\n"+
			"Registro da assinatura eletrônica: ______________________________", sg.Name, sg.CPF.Format(), sg.Role)
	}
	return d.blocks
}
