// Package view renders a status report (package status/report) for
// people and programs: a one-line summary, an aligned list, XML that
// follows the schema in roma-status.xsd, one self-contained HTML page
// (readable on a phone; romad serves the same page), and versioned JSON.
//
// Rendering decides nothing: every word comes from the Report, and times
// are shown relative to the report's Checked time, so the same report
// always renders to the same bytes.
//
// It imports status and status/report only.
package view
