package romad

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/roma-redis/roma/status"
)

func itoa(i int) string { return strconv.Itoa(i) }

// StatusPage renders the HTML status page; roma status -format html sets
// it to the shared page. The default is a plain table.
var StatusPage = func(w http.ResponseWriter, st *status.Status) error {
	return plainPage.Execute(w, st)
}

var plainPage = template.Must(template.New("status").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>roma {{.Cluster}}: {{.State}}</title></head><body>
<h1>{{.Cluster}}: {{.State}}</h1><p>epoch {{.Epoch}}, alpha {{.Alpha}}, updated {{.Updated}}</p>
<table><tr><th>partition</th><th>master</th><th>replicas</th></tr>
{{range $i, $p := .Partitions}}<tr><td>{{$i}}</td><td>{{$p.Master}}</td><td>{{range $p.Replicas}}{{.}} {{end}}</td></tr>
{{end}}</table></body></html>
`))

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
