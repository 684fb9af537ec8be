package service

import (
	"fmt"
	"strings"
	"time"
)

// UnitName returns the systemd unit name of u: "roma-<cluster>-<name>.service"
// ("roma-<name>.service" without a cluster). Characters systemd does not
// allow in unit names are written \xNN, as systemd-escape does.
func UnitName(u Unit) string {
	name := "roma-"
	if u.Cluster != "" {
		name += unitEscape(u.Cluster) + "-"
	}
	return name + unitEscape(u.Name) + ".service"
}

// unitEscape writes each byte outside [A-Za-z0-9_.-] as \xNN.
func unitEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

// RenderUnit returns the systemd unit file of u. It is deterministic and
// starts with a header saying that roma manages it.
//
// A Redis node runs supervised (Type=notify, --supervised systemd): systemd
// knows it started once Redis has loaded its dataset and says READY, which
// may take long, so the start has no time limit. It is never restarted by
// systemd (Restart=no): romad owns failover, and a master that came back
// by itself within romad's down_after, empty or with an old dataset, would
// hand that dataset to its replicas. A node that died stays down until romad
// has failed it over and apply (or roma start) brings it back, as a replica.
// It does start at boot (the unit is enabled): a reboot usually outlasts
// down_after, so romad has failed over by then and demotes the old master
// when it returns; a master back sooner, on what it had saved, is noticed
// by romad, which promotes a replica holding more before any syncs from it.
//
// romad runs in the foreground (Type=exec) and is restarted on failure:
// it holds no data, and its peers fence a returning alpha by epoch.
func RenderUnit(u Unit) []byte {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# Managed by roma: service %q of cluster %q.", u.Name, u.Cluster)
	line("# roma apply rewrites this file; changes made here are lost.")
	line("")
	line("[Unit]")
	desc := "roma"
	if u.Cluster != "" {
		desc += " " + u.Cluster
	}
	what := fmt.Sprintf("%s %s", u.Kind, u.Name)
	if u.Name == string(u.Kind) {
		what = u.Name
	}
	line("Description=%s", specEscape(desc+": "+what))
	line("After=network-online.target")
	line("Wants=network-online.target")
	line("")
	line("[Service]")
	argv := u.Argv
	if u.Kind == KindRedis {
		line("Type=notify")
		argv = append(append([]string{}, argv...), "--supervised", "systemd")
	} else {
		line("Type=exec")
	}
	line("ExecStart=%s", execLine(argv))
	if u.Dir != "" {
		line("WorkingDirectory=%s", specEscape(u.Dir))
	}
	if u.User != "" {
		line("User=%s", specEscape(u.User))
	}
	if u.Kind == KindRedis {
		line("# Never restarted by systemd: romad fails a dead master over, and a master")
		line("# that came back by itself could hand its replicas an empty or old dataset.")
		line("Restart=no")
		line("# Redis is ready once its dataset is loaded, however long that takes.")
		line("TimeoutStartSec=infinity")
		line("LimitNOFILE=65536")
	} else {
		line("Restart=on-failure")
		line("RestartSec=2s")
		if u.LogFile != "" {
			line("StandardOutput=append:%s", specEscape(u.LogFile))
			line("StandardError=append:%s", specEscape(u.LogFile))
		}
	}
	line("TimeoutStopSec=%s", timeSpan(u.stopTimeout()))
	line("NoNewPrivileges=yes")
	line("")
	line("[Install]")
	line("WantedBy=multi-user.target")
	return []byte(b.String())
}

// timeSpan writes d as a systemd time span: "60s", "1500ms".
func timeSpan(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", (d+time.Millisecond-1)/time.Millisecond)
}

// specEscape doubles '%', which systemd would read as a specifier.
func specEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// execLine writes argv as the value of ExecStart=, each argument quoted
// when systemd would otherwise split, unescape or expand it.
func execLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = execQuote(a)
	}
	return strings.Join(words, " ")
}

// execQuote writes one ExecStart argument: '%' and '$' doubled (systemd
// expands specifiers and environment variables, quoted or not), and the
// whole in double quotes, with '\' and '"' escaped, unless it holds only
// characters systemd takes literally.
func execQuote(s string) string {
	s = strings.ReplaceAll(specEscape(s), "$", "$$")
	if s != "" && strings.IndexFunc(s, needsExecQuote) < 0 {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func needsExecQuote(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune("_-./:,+@%$=", r)
}
