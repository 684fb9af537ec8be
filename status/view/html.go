package view

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/roma-redis/roma/status/report"
)

//go:embed page.html
var pageText string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"ago":     ago,
	"stamp":   stamp,
	"size":    size,
	"lag":     lag,
	"lower":   strings.ToLower,
	"dash":    dash,
	"version": func() string { return FormatVersion },
}).Parse(pageText))

// HTMLOptions tune the HTML page.
type HTMLOptions struct {
	// Refresh, when set, makes the browser reload the page this often
	// (romad serves it live).
	Refresh time.Duration
}

// HTML writes r as one self-contained HTML page: inline style, no script,
// no external assets; it reads on a phone as well as on a desk.
func HTML(w io.Writer, r *report.Report) error { return WriteHTML(w, r, HTMLOptions{}) }

// WriteHTML is HTML with options.
func WriteHTML(w io.Writer, r *report.Report, o HTMLOptions) error {
	return page.Execute(w, newHTMLPage(r, o))
}

type htmlPage struct {
	R       *report.Report
	Refresh int // seconds
	Parts   []htmlPart
	Icon    template.URL
}

// htmlPart is a partition with its nodes, master first.
type htmlPart struct {
	report.Partition
	Nodes []report.Node
}

func newHTMLPage(r *report.Report, o HTMLOptions) htmlPage {
	p := htmlPage{R: r, Refresh: int(o.Refresh.Round(time.Second).Seconds()), Icon: icon(r.State)}
	for _, part := range r.Partitions {
		hp := htmlPart{Partition: part}
		if m, ok := r.Node(part.Master); ok {
			hp.Nodes = append(hp.Nodes, m)
		}
		for _, n := range r.Nodes {
			if n.Partition == part.Index && n.Name != part.Master {
				hp.Nodes = append(hp.Nodes, n)
			}
		}
		p.Parts = append(p.Parts, hp)
	}
	return p
}

// icon is a favicon in the state's colour, inline.
func icon(state string) template.URL {
	c := map[string]string{"OK": "%231a7f37", "DEGRADED": "%23bf8700", "HALT": "%23cf222e"}[state]
	if c == "" {
		c = "%23808080"
	}
	return template.URL("data:image/svg+xml," +
		"%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='" + c + "'/%3E%3C/svg%3E")
}
