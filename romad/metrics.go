package romad

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are romad's Prometheus metrics. Gauges about nodes are read
// from the views when scraped.
type metrics struct {
	reg          *prometheus.Registry
	failovers    *prometheus.CounterVec
	alphaChanges prometheus.Counter
}

func newMetrics(d *Daemon) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.failovers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "roma_failovers_total", Help: "Failovers this romad carried out as alpha, by partition.",
	}, []string{"partition"})
	m.alphaChanges = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "roma_alpha_elections_total", Help: "Times this romad became alpha.",
	})
	m.reg.MustRegister(m.failovers, m.alphaChanges, collector{d},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// collector reports the node gauges, the alpha, the epoch and the last
// backup at scrape time.
type collector struct{ d *Daemon }

var (
	descUp     = prometheus.NewDesc("roma_node_up", "1 when the node answers this romad.", []string{"node", "partition"}, nil)
	descRole   = prometheus.NewDesc("roma_node_role", "1 for the node's current role.", []string{"node", "role"}, nil)
	descStop   = prometheus.NewDesc("roma_node_stopped", "1 while the node is down because roma stop stopped it, on purpose (romad sends no alert of it).", []string{"node"}, nil)
	descMem    = prometheus.NewDesc("roma_node_memory_used_bytes", "The memory the node uses (INFO's used_memory).", []string{"node"}, nil)
	descMax    = prometheus.NewDesc("roma_node_maxmemory_bytes", "The node's maxmemory; absent when it has none.", []string{"node"}, nil)
	descLag    = prometheus.NewDesc("roma_replication_lag_bytes", "How far a replica is behind its partition's master.", []string{"node"}, nil)
	descAlpha  = prometheus.NewDesc("roma_alpha", "1 when this romad is the alpha.", []string{"romad"}, nil)
	descEpoch  = prometheus.NewDesc("roma_epoch", "The epoch of the status this romad last wrote or read.", nil, nil)
	descState  = prometheus.NewDesc("roma_cluster_state", "1 for the cluster's current state: HALT while no majority of the status nodes answers this romad, as clients then see it.", []string{"state"}, nil)
	descQuorum = prometheus.NewDesc("roma_status_quorum", "1 while a majority of the status nodes answers this romad; 0: clients that cannot read them treat the cluster as HALT, and no romad can be alpha.", nil, nil)
	descBack   = prometheus.NewDesc("roma_last_backup_timestamp_seconds", "When the last backup into the declared store (scheduled, or by roma backup) ran.", []string{"ok"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descRole, descStop, descMem, descMax, descLag, descAlpha, descEpoch, descState, descQuorum, descBack} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	d := c.d
	st, q := d.served()
	quorum := 1.0
	if !q.lostSince.IsZero() {
		quorum = 0
	}
	ch <- prometheus.MustNewConstMetric(descQuorum, prometheus.GaugeValue, quorum)
	for name, v := range d.views {
		s := v.snap(d.downAfter)
		up := 0.0
		if s.Answering {
			up = 1
		}
		part := "status"
		if s.Partition >= 0 {
			part = itoa(s.Partition)
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, name, part)
		if s.Answering {
			ch <- prometheus.MustNewConstMetric(descMem, prometheus.GaugeValue, float64(s.Mem.Used), name)
			if s.Mem.Max > 0 {
				ch <- prometheus.MustNewConstMetric(descMax, prometheus.GaugeValue, float64(s.Mem.Max), name)
			}
		}
		for _, r := range []string{"master", "replica"} {
			val := 0.0
			if s.Role == r || s.Role == "slave" && r == "replica" {
				val = 1
			}
			ch <- prometheus.MustNewConstMetric(descRole, prometheus.GaugeValue, val, name, r)
		}
		if st != nil {
			ns, ok := st.Nodes[name]
			if ok && ns.Role == "replica" {
				ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(ns.Lag), name)
			}
			stopped := 0.0
			if ok && ns.Stopped != nil {
				stopped = 1
			}
			ch <- prometheus.MustNewConstMetric(descStop, prometheus.GaugeValue, stopped, name)
		}
	}
	alpha := 0.0
	if d.isAlpha() {
		alpha = 1
	}
	ch <- prometheus.MustNewConstMetric(descAlpha, prometheus.GaugeValue, alpha, d.cfg.Self)
	if st != nil {
		ch <- prometheus.MustNewConstMetric(descEpoch, prometheus.GaugeValue, float64(st.Epoch))
		for _, s := range []string{"OK", "DEGRADED", "HALT"} {
			val := 0.0
			if st.State == s {
				val = 1
			}
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, val, s)
		}
		if st.Backup != nil {
			ok := "false"
			if st.Backup.OK {
				ok = "true"
			}
			ch <- prometheus.MustNewConstMetric(descBack, prometheus.GaugeValue, float64(st.Backup.Time.Unix()), ok)
		}
	}
}
