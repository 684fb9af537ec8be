package hclspec

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostic is the JSON form of one diagnostic, as `roma validate -json`
// prints it.
type Diagnostic struct {
	Severity string   `json:"severity"` // "error" or "warning"
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Range    *Range   `json:"range,omitempty"`
	Snippet  *Snippet `json:"snippet,omitempty"`
}

// Range is a source range: the file and its start and end positions.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Pos is a position in a file; line and column count from 1, byte from 0.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Snippet is the source around a diagnostic: the lines of code, the line
// number of the first, and the highlighted byte offsets within Code.
type Snippet struct {
	Context        string `json:"context,omitempty"`
	Code           string `json:"code"`
	StartLine      int    `json:"start_line"`
	HighlightStart int    `json:"highlight_start_offset"`
	HighlightEnd   int    `json:"highlight_end_offset"`
}

// JSONDiagnostics converts diags to their JSON form with snippets.
func (c *Config) JSONDiagnostics(diags hcl.Diagnostics) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		jd := Diagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if d.Subject != nil {
			r := *d.Subject
			jd.Range = &Range{Filename: r.Filename,
				Start: Pos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:   Pos{r.End.Line, r.End.Column, r.End.Byte}}
			jd.Snippet = c.snippet(d)
		}
		out = append(out, jd)
	}
	return out
}

// snippet returns the source lines the diagnostic's subject covers.
func (c *Config) snippet(d *hcl.Diagnostic) *Snippet {
	f := c.Files[d.Subject.Filename]
	if f == nil || f.Bytes == nil {
		return nil
	}
	subj := *d.Subject
	rng := subj
	if d.Context != nil {
		rng = hcl.RangeOver(*d.Context, subj)
	}
	var code strings.Builder
	hlStart, hlEnd := -1, -1
	sc := hcl.NewRangeScanner(f.Bytes, subj.Filename, bufio.ScanLines)
	for sc.Scan() {
		lr := sc.Range()
		if lr.Start.Line < rng.Start.Line || lr.Start.Line > rng.End.Line {
			continue
		}
		if code.Len() > 0 {
			code.WriteByte('\n')
		}
		base := code.Len()
		line, shift := c.redactLine(subj.Filename, lr.Start.Byte, sc.Bytes())
		code.WriteString(line)
		if lr.Overlaps(subj) || subj.Empty() && lr.ContainsPos(subj.Start) {
			if hlStart < 0 {
				hlStart = base + shift(max(0, subj.Start.Byte-lr.Start.Byte), false)
			}
			hlEnd = base + shift(min(len(sc.Bytes()), subj.End.Byte-lr.Start.Byte), true)
		}
	}
	if hlStart < 0 {
		hlStart, hlEnd = 0, 0
	}
	if hlEnd < hlStart {
		hlEnd = hlStart
	}
	return &Snippet{Code: code.String(), StartLine: rng.Start.Line, HighlightStart: hlStart, HighlightEnd: hlEnd}
}

// WriteDiagnostics prints diags for a person: severity and summary, then
// file:line:col, the source line with the range underlined, and the
// detail. Colour is used only when color is true.
func (c *Config) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, color bool) {
	var buf bytes.Buffer
	for i, d := range c.JSONDiagnostics(diags) {
		if i > 0 {
			buf.WriteByte('\n')
		}
		label, paint := "Error", "\x1b[1;31m"
		if d.Severity == "warning" {
			label, paint = "Warning", "\x1b[1;33m"
		}
		if color {
			fmt.Fprintf(&buf, "%s%s:\x1b[0m \x1b[1m%s\x1b[0m\n", paint, label, d.Summary)
		} else {
			fmt.Fprintf(&buf, "%s: %s\n", label, d.Summary)
		}
		if d.Range != nil {
			fmt.Fprintf(&buf, "\n  on %s:%d:%d:\n", d.Range.Filename, d.Range.Start.Line, d.Range.Start.Column)
			if d.Snippet != nil {
				writeSnippet(&buf, d.Snippet)
			}
		}
		if d.Detail != "" {
			fmt.Fprintf(&buf, "\n%s\n", d.Detail)
		}
	}
	w.Write(buf.Bytes())
}

// writeSnippet prints numbered source lines with a ^^^ mark under the
// highlighted part of the first highlighted line.
func writeSnippet(buf *bytes.Buffer, sn *Snippet) {
	offset := 0
	marked := false
	for i, line := range strings.Split(sn.Code, "\n") {
		num := fmt.Sprintf("%4d: ", sn.StartLine+i)
		fmt.Fprintf(buf, "%s%s\n", num, line)
		end := offset + len(line)
		if !marked && sn.HighlightStart >= offset && sn.HighlightStart <= end {
			from := sn.HighlightStart - offset
			to := min(sn.HighlightEnd-offset, len(line))
			width := max(1, len([]rune(line[from:to])))
			pad := strings.Map(func(r rune) rune {
				if r == '\t' {
					return '\t'
				}
				return ' '
			}, line[:from])
			fmt.Fprintf(buf, "%s%s%s\n", strings.Repeat(" ", len(num)), pad, strings.Repeat("^", width))
			marked = true
		}
		offset = end + 1
	}
}
