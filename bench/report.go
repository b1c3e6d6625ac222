package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// report is everything a run measured.
type report struct {
	Config    map[string]any `json:"config"`
	Ceiling   *result        `json:"ceiling"`
	Results   []*result      `json:"results"`
	Failures  []string       `json:"failures,omitempty"`
	ServerLog *logSummary    `json:"server_log,omitempty"` // the whole run's
}

func (b *bench) configJSON() map[string]any {
	c := b.cfg
	m := map[string]any{"duration_s": c.duration.Seconds(), "warmup_s": c.warmup.Seconds(), "customers": c.customers}
	if c.rate > 0 {
		m["mode"], m["rate"], m["lifecycle_rate"], m["max_inflight"] = "open-loop", c.rate, c.lifecycleRate, c.maxInflight
	} else {
		m["mode"], m["concurrency"] = "closed-loop", c.concurrency
	}
	switch {
	case c.target != "":
		m["server"] = c.target
	case c.db != "":
		m["server"], m["engine"] = "started by the tool", "postgres"
	default:
		m["server"], m["engine"] = "started by the tool", "sqlite"
	}
	if c.noJobs {
		m["job_workers"] = false
	}
	if len(c.serverArgs) > 0 {
		m["server_args"] = []string(c.serverArgs)
	}
	return m
}

func writeJSON(w io.Writer, rep report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// num formats x with thousands separators, and one decimal below 100.
func num(x float64) string {
	if math.Abs(x) < 100 && x != math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// dur formats milliseconds.
func dur(ms float64) string {
	switch {
	case ms == 0:
		return "-"
	case ms < 1:
		return fmt.Sprintf("%.0fµs", ms*1000)
	case ms < 100:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	case ms < 10000:
		return fmt.Sprintf("%.2fs", ms/1000)
	}
	return fmt.Sprintf("%.1fs", ms/1000)
}

func mib(p *int64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(*p)/(1<<20))
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	if *p < 0.1 {
		return fmt.Sprintf("%.1f%%", *p*100)
	}
	return fmt.Sprintf("%.0f%%", *p*100)
}

func (r *result) errorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// headline is the one-line summary: "GET /customers/{id}: 18,500 req/s = 46% of the bare net/http ceiling".
func (r *result) headline() string {
	var s string
	switch {
	case r.CeilingRatio == nil:
		s = fmt.Sprintf("%s: %s req/s", r.Name, num(r.Throughput))
	case r.Unit == "req/s":
		s = fmt.Sprintf("%s: %s req/s = %s of the bare net/http ceiling", r.Name, num(r.Throughput), pct(r.CeilingRatio))
	default:
		s = fmt.Sprintf("%s: %s %s; %s HTTP req/s = %s of the bare net/http ceiling", r.Name, num(r.Throughput), r.Unit,
			num(r.HTTPRate), pct(r.CeilingRatio))
	}
	s += fmt.Sprintf(" (p50 %s, p99 %s, %d errors, server peak RSS %s)", dur(r.LatencyMS.P50), dur(r.LatencyMS.P99), r.errorCount(), mib(r.PeakRSSBytes))
	return s
}

// print reports a finished measurement as progress.
func (b *bench) print(r *result) {
	fmt.Fprintln(b.out, "bench:  ", r.headline())
}

func writeTable(w io.Writer, rep report) {
	fmt.Fprintf(w, "\nload: %s\n\n", loadText(rep))
	rows := [][]string{{"scenario", "measured", "ops", "throughput", "vs ceiling", "p50", "p90", "p99", "max", "errors", "server peak RSS"}}
	all := append([]*result{rep.Ceiling}, rep.Results...)
	for _, r := range all {
		if r == nil {
			continue
		}
		rows = append(rows, []string{r.Scenario, r.Name, num(float64(r.Requests)), num(r.Throughput) + " " + r.Unit,
			pct(r.CeilingRatio), dur(r.LatencyMS.P50), dur(r.LatencyMS.P90), dur(r.LatencyMS.P99), dur(r.LatencyMS.Max),
			strconv.Itoa(r.errorCount()), mib(r.PeakRSSBytes)})
	}
	table(w, rows, 2)
	fmt.Fprintln(w)
	for _, r := range all {
		if r == nil {
			continue
		}
		fmt.Fprintln(w, r.headline())
		if wh := r.Webhooks; wh != nil {
			fmt.Fprintf(w, "    webhooks: %s of %s test events delivered at %s/s; send→receipt p50 %s, p90 %s, p99 %s, max %s; %d duplicates, %d bad signatures\n",
				num(float64(wh.Delivered)), num(float64(wh.Sent)), num(wh.DeliveriesPerSecond), dur(wh.EndToEndMS.P50),
				dur(wh.EndToEndMS.P90), dur(wh.EndToEndMS.P99), dur(wh.EndToEndMS.Max), wh.Duplicates, wh.BadSignatures)
		}
		if len(r.Steps) > 0 {
			var parts []string
			for _, name := range lifecycleSteps {
				if l, ok := r.Steps[name]; ok {
					parts = append(parts, fmt.Sprintf("%s %s / %s", name, dur(l.P50), dur(l.P99)))
				}
			}
			fmt.Fprintf(w, "    steps (p50 / p99): %s\n", strings.Join(parts, "; "))
		}
		for _, k := range slices.Sorted(maps.Keys(r.Errors)) {
			fmt.Fprintf(w, "    error %s × %s", k, num(float64(r.Errors[k])))
			if t := r.ErrorText[k]; t != "" {
				fmt.Fprintf(w, " (%s)", t)
			}
			fmt.Fprintln(w)
		}
		if l := r.ServerLog; l != nil && (l.Errors > 0 || l.Warnings > 0 || l.Other > 0) {
			fmt.Fprintf(w, "    server log: %d ERROR, %d WARN, %d other lines; e.g. %s\n", l.Errors, l.Warnings, l.Other, strings.Join(l.Samples, " | "))
		}
		for _, n := range r.Notes {
			fmt.Fprintln(w, "    note:", n)
		}
	}
	for _, f := range rep.Failures {
		fmt.Fprintln(w, "FAILED:", f)
	}
	if l := rep.ServerLog; l != nil {
		fmt.Fprintf(w, "server log over the whole run: %d ERROR, %d WARN, %d other lines\n", l.Errors, l.Warnings, l.Other)
		for _, s := range l.Samples {
			fmt.Fprintln(w, "    ", s)
		}
	}
}

// table writes rows in columns two spaces apart, the first `left` columns aligned left, the rest right.
func table(w io.Writer, rows [][]string, left int) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < left {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func loadText(rep report) string {
	c := rep.Config
	s := ""
	if c["mode"] == "open-loop" {
		s = fmt.Sprintf("open loop at %v req/s (lifecycles: %v/s)", c["rate"], c["lifecycle_rate"])
	} else {
		s = fmt.Sprintf("closed loop, concurrency %v", c["concurrency"])
	}
	s += fmt.Sprintf(", %vs measured after %vs warmup; server: %v", c["duration_s"], c["warmup_s"], c["server"])
	if e, ok := c["engine"]; ok {
		s += fmt.Sprintf(" (%v)", e)
	}
	return s
}
