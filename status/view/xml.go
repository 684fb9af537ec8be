package view

import (
	_ "embed"
	"encoding/xml"
	"io"
	"strconv"
	"time"

	"github.com/roma-redis/roma/status/report"
)

// Schema is the XML Schema (XSD) that XML's output follows; it is
// roma-status.xsd in this package's directory.
//
//go:embed roma-status.xsd
var Schema []byte

// XML writes r as an XML document that follows Schema.
func XML(w io.Writer, r *report.Report) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(toXML(r)); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type xmlReport struct {
	XMLName     xml.Name       `xml:"roma-status"`
	Version     string         `xml:"version,attr"`
	Cluster     string         `xml:"cluster,attr"`
	State       string         `xml:"state,attr"`
	Source      string         `xml:"source,attr"`
	Checked     string         `xml:"checked,attr"`
	Published   *xmlPublished  `xml:"published"`
	StatusNodes xmlStatusNodes `xml:"status-nodes"`
	Partitions  xmlPartitions  `xml:"partitions"`
	Nodes       xmlNodes       `xml:"nodes"`
	Backup      *xmlBackup     `xml:"backup"`
	Drift       *xmlDrift      `xml:"drift"`
	Problems    *xmlProblems   `xml:"problems"`
}

type xmlProblems struct {
	List []string `xml:"problem"`
}

type xmlPublished struct {
	State       string `xml:"state,attr"`
	Epoch       int64  `xml:"epoch,attr"`
	Alpha       string `xml:"alpha,attr"`
	Updated     string `xml:"updated,attr,omitempty"`
	Maintenance bool   `xml:"maintenance,attr"`
}

type xmlStatusNodes struct {
	Total    int             `xml:"total,attr"`
	Answered int             `xml:"answered,attr"`
	Agreeing int             `xml:"agreeing,attr"`
	Majority bool            `xml:"majority,attr"`
	Nodes    []xmlStatusNode `xml:"status-node"`
}

type xmlStatusNode struct {
	Name  string `xml:"name,attr"`
	Addr  string `xml:"addr,attr"`
	Up    bool   `xml:"up,attr"`
	Epoch *int64 `xml:"epoch,attr"`
	Error string `xml:"error,attr,omitempty"`
}

type xmlPartitions struct {
	List []xmlPartition `xml:"partition"`
}

type xmlNodes struct {
	List []xmlNode `xml:"node"`
}

type xmlPartition struct {
	Index    int          `xml:"index,attr"`
	Master   string       `xml:"master,attr,omitempty"`
	Serving  bool         `xml:"serving,attr"`
	Replicas []xmlReplica `xml:"replica"`
}

type xmlReplica struct {
	Name string `xml:"name,attr"`
}

type xmlNode struct {
	Name       string `xml:"name,attr"`
	Host       string `xml:"host,attr"`
	Addr       string `xml:"addr,attr"`
	Partition  int    `xml:"partition,attr"`
	Role       string `xml:"role,attr,omitempty"`
	State      string `xml:"state,attr"`
	Since      string `xml:"since,attr,omitempty"`
	Master     string `xml:"master,attr,omitempty"`
	Link       string `xml:"link,attr,omitempty"`
	Lag        *int64 `xml:"lag,attr"`
	Memory     *int64 `xml:"memory,attr"`
	MaxMemory  *int64 `xml:"maxmemory,attr"`
	Keys       *int64 `xml:"keys,attr"`
	Error      string `xml:"error,attr,omitempty"`
	Undeclared bool   `xml:"undeclared,attr,omitempty"`
}

type xmlBackup struct {
	ID       string `xml:"id,attr"`
	Time     string `xml:"time,attr,omitempty"`
	OK       bool   `xml:"ok,attr"`
	Duration string `xml:"duration-seconds,attr"`
	Error    string `xml:"error,attr,omitempty"`
}

type xmlDrift struct {
	Items      int           `xml:"items,attr"`
	Changes    int           `xml:"changes,attr"`
	Unobserved int           `xml:"unobserved,attr"`
	Resources  []xmlResource `xml:"resource"`
}

type xmlResource struct {
	Address string `xml:"address,attr"`
}

func xmlTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func toXML(r *report.Report) xmlReport {
	x := xmlReport{Version: FormatVersion, Cluster: r.Cluster, State: r.State, Source: r.Source,
		Checked: xmlTime(r.Checked)}
	if len(r.Problems) > 0 {
		x.Problems = &xmlProblems{r.Problems}
	}
	if p := r.Published; p != nil {
		x.Published = &xmlPublished{State: p.State, Epoch: p.Epoch, Alpha: p.Alpha, Updated: xmlTime(p.Updated), Maintenance: p.Maintenance}
	}
	a := r.Agreement
	x.StatusNodes = xmlStatusNodes{Total: a.Total, Answered: a.Answered, Agreeing: a.Agreeing, Majority: a.Majority}
	for _, s := range r.StatusNodes {
		xs := xmlStatusNode{Name: s.Name, Addr: s.Addr, Up: s.Up, Error: s.Error}
		if s.Up {
			xs.Epoch = &s.Epoch
		}
		x.StatusNodes.Nodes = append(x.StatusNodes.Nodes, xs)
	}
	for _, p := range r.Partitions {
		xp := xmlPartition{Index: p.Index, Master: p.Master, Serving: p.Serving}
		for _, rn := range p.Replicas {
			xp.Replicas = append(xp.Replicas, xmlReplica{rn})
		}
		x.Partitions.List = append(x.Partitions.List, xp)
	}
	for _, n := range r.Nodes {
		xn := xmlNode{Name: n.Name, Host: n.Host, Addr: n.Addr, Partition: n.Partition, Role: n.Role, State: n.State,
			Since: xmlTime(n.Since), Master: n.Master, Link: n.Link, Lag: n.Lag, Error: n.Error, Undeclared: n.Undeclared}
		if n.State != "down" {
			xn.Memory, xn.Keys = &n.Memory, &n.Keys
			if n.MaxMemory > 0 {
				xn.MaxMemory = &n.MaxMemory
			}
		}
		x.Nodes.List = append(x.Nodes.List, xn)
	}
	if b := r.Backup; b != nil {
		x.Backup = &xmlBackup{ID: b.ID, Time: xmlTime(b.Time), OK: b.OK, Duration: strconv.FormatFloat(b.Duration, 'f', -1, 64), Error: b.Error}
	}
	if d := r.Drift; d != nil {
		x.Drift = &xmlDrift{Items: d.Items, Changes: d.Changes, Unobserved: d.Unobserved}
		for _, a := range d.Resources {
			x.Drift.Resources = append(x.Drift.Resources, xmlResource{a})
		}
	}
	return x
}
