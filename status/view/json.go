package view

import (
	"encoding/json"
	"io"

	"github.com/roma-redis/roma/status/report"
)

// JSON writes r as one line of JSON: the Report's fields (see package
// report for their meaning) and "format_version", which is FormatVersion.
func JSON(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(Versioned(r))
}

// Versioned is r with its format version, as JSON writes it; embed it in
// a larger JSON message to carry a report.
func Versioned(r *report.Report) any {
	return struct {
		FormatVersion string `json:"format_version"`
		*report.Report
	}{FormatVersion, r}
}
