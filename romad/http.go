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
// -format html, built from the status romad serves (see served) and the
// problem, when there is one, of its status nodes.
var StatusPage = func(w http.ResponseWriter, st *status.Status, problem string) error {
	r := report.FromStatus(st, time.Now())
	if problem != "" {
		r.Problems = append([]string{problem}, r.Problems...)
	}
	return view.WriteHTML(w, r, view.HTMLOptions{Refresh: 5 * time.Second})
}

func (d *Daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st, q := d.served()
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
			// Problem: no majority of the status nodes answers this
			// romad, and so State is HALT.
			Problem string `json:"problem,omitempty"`
		}{st, d.cfg.Self, d.isAlpha(), q.problem()})
	})
	mux.HandleFunc("GET /status.html", func(w http.ResponseWriter, r *http.Request) {
		st, q := d.served()
		if st == nil {
			http.Error(w, "no status yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := StatusPage(w, st, q.problem()); err != nil {
			fmt.Fprintf(w, "<!-- %s -->", template.HTMLEscapeString(err.Error()))
		}
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}
