package view

import (
	"fmt"
	"io"
	"time"

	"github.com/roma-redis/roma/status/report"
)

// FormatVersion is the version of the JSON and XML forms. It changes
// (with the schema) when a field's meaning changes; new fields do not
// change it.
const FormatVersion = "1.0"

// Formats are the names Render accepts.
var Formats = []string{"summary", "list", "xml", "html", "json"}

// Options tune the human formats.
type Options struct {
	Color bool // ANSI colour for the state and for nodes that are down
}

// Render writes r in the named format.
func Render(w io.Writer, format string, r *report.Report, o Options) error {
	switch format {
	case "summary":
		return Summary(w, r, o)
	case "list":
		return List(w, r, o)
	case "xml":
		return XML(w, r)
	case "html":
		return HTML(w, r)
	case "json":
		return JSON(w, r)
	}
	return fmt.Errorf("unknown format %q (want one of summary, list, xml, html, json)", format)
}

// ago says how long before now t was, coarsely: "12s", "5m", "3h", "2d".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// stamp is t in UTC to the second, or "-".
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// size is a byte count for people, at most five characters before the
// unit: "512 B", "1.5 MiB", "1.0 MiB" for 1,000 KiB.
func size(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	f, unit := float64(n)/1024, 0
	for f >= 999.95 && unit < 4 {
		f /= 1024
		unit++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTP"[unit])
}

// lag is a replica's lag for people, "-" when unknown or not a replica.
func lag(n report.Node) string {
	if n.Lag == nil {
		return "-"
	}
	return size(*n.Lag)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
