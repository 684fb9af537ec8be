package romad

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/roma-redis/roma/status"
	"github.com/roma-redis/roma/status/report"
	"github.com/roma-redis/roma/status/view"
)

func itoa(i int) string { return strconv.Itoa(i) }

// StatusPage renders the HTML status page: the same page as roma status
// -format html, built from the published status alone.
var StatusPage = func(w http.ResponseWriter, st *status.Status) error {
	return view.WriteHTML(w, report.FromStatus(st, time.Now()), view.HTMLOptions{Refresh: 5 * time.Second})
}

func (d *Daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st := d.Status()
		if st == nil {
			http.Error(w, "no status yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			*status.Status
			Romad        string `json:"romad"`
			RomadIsAlpha bool   `json:"romad_is_alpha"`
		}{st, d.cfg.Self, d.isAlpha()})
	})
	mux.HandleFunc("GET /status.html", func(w http.ResponseWriter, r *http.Request) {
		st := d.Status()
		if st == nil {
			http.Error(w, "no status yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := StatusPage(w, st); err != nil {
			fmt.Fprintf(w, "<!-- %s -->", template.HTMLEscapeString(err.Error()))
		}
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}
