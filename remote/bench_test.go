package remote_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/remote"
)

// BenchmarkRemote measures, on the 8 hosts of the lab, what roma does most
// over SSH, side by side with OpenSSH doing the same to the same hosts:
//
//   - connect: connect (handshake, host key check, public key
//     authentication) to all 8 hosts and run "true" on each; roma dials in
//     parallel, ssh(1) runs one host after another and all 8 at once;
//   - push: copy a 16 MiB file to all 8 hosts, connection included; roma
//     with Upload (atomic: temporary file, fsync, rename), scp(1) one host
//     after another and all 8 at once;
//   - push, connected: the same over connections already open, as apply
//     does.
//
// It prints a table of medians and the ratios peer time / roma time (above
// 1: roma is faster). Run it with make bench (scripts/bench.sh).
func BenchmarkRemote(b *testing.B) {
	l := lab.Shared(b)
	if len(l.Hosts) < 8 {
		b.Fatalf("lab has %d hosts, want 8", len(l.Hosts))
	}
	hosts := l.Hosts[:8]
	for _, tool := range []string{"ssh", "scp"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Fatalf("%s(1) is needed for the comparison: %v", tool, err)
		}
	}
	src := filepath.Join(b.TempDir(), "payload")
	payload := make([]byte, 16<<20)
	rand.Read(payload)
	if err := os.WriteFile(src, payload, 0o644); err != nil {
		b.Fatal(err)
	}
	const target = "/var/lib/roma/bench-payload"
	samples := map[string][]time.Duration{}
	var order []string
	// measure runs a sub-benchmark whose every iteration is timed alone,
	// keeping the samples of its last (largest) run.
	measure := func(name string, bytes int64, op func(b *testing.B)) {
		order = append(order, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(bytes)
			var d []time.Duration
			for b.Loop() {
				start := time.Now()
				op(b)
				d = append(d, time.Since(start))
			}
			samples[name] = d
			b.ReportMetric(float64(median(d).Microseconds())/1000, "ms-median/op")
		})
	}
	ctx := context.Background()
	sshArgs := func(args ...string) []string {
		return append([]string{"-F", l.SSHConfigFile, "-o", "BatchMode=yes"}, args...)
	}
	openSSH := func(b *testing.B, parallel bool, tool string, args func(h *lab.Host) []string) {
		err := forHosts(hosts, parallel, func(h *lab.Host) error {
			out, err := exec.Command(tool, sshArgs(args(h)...)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s %s: %v: %s", tool, h.Name, err, out)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	dialAll := func(b *testing.B) []*remote.SSH {
		conns := make([]*remote.SSH, len(hosts))
		err := forHosts(hosts, true, func(h *lab.Host) error {
			s, err := h.Dial(ctx)
			if err == nil {
				conns[slices.Index(hosts, h)] = s
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		return conns
	}
	closeAll := func(conns []*remote.SSH) {
		for _, s := range conns {
			if s != nil {
				s.Close()
			}
		}
	}

	measure("connect/roma-parallel", 0, func(b *testing.B) {
		conns := dialAll(b)
		err := forHosts(hosts, true, func(h *lab.Host) error {
			_, err := remote.Output(ctx, conns[slices.Index(hosts, h)], "true")
			return err
		})
		closeAll(conns)
		if err != nil {
			b.Fatal(err)
		}
	})
	for _, par := range []bool{false, true} {
		measure("connect/ssh-"+mode(par), 0, func(b *testing.B) {
			openSSH(b, par, "ssh", func(h *lab.Host) []string { return []string{h.Name, "true"} })
		})
	}
	size := int64(len(payload)) * int64(len(hosts))
	measure("push/roma-parallel", size, func(b *testing.B) {
		conns := dialAll(b)
		err := forHosts(hosts, true, func(h *lab.Host) error {
			return conns[slices.Index(hosts, h)].Upload(ctx, src, target, 0o644)
		})
		closeAll(conns)
		if err != nil {
			b.Fatal(err)
		}
	})
	for _, par := range []bool{false, true} {
		measure("push/scp-"+mode(par), size, func(b *testing.B) {
			openSSH(b, par, "scp", func(h *lab.Host) []string { return []string{"-q", src, h.Name + ":" + target} })
		})
	}
	var open []*remote.SSH
	measure("push-connected/roma-parallel", size, func(b *testing.B) {
		if open == nil {
			open = dialAll(b)
		}
		err := forHosts(hosts, true, func(h *lab.Host) error {
			return open[slices.Index(hosts, h)].Upload(ctx, src, target, 0o644)
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	closeAll(open)

	// Check once that the pushes arrived whole.
	for _, h := range hosts {
		got, err := os.ReadFile(filepath.Join(h.Root, filepath.Base(target)))
		if err != nil || len(got) != len(payload) || string(got) != string(payload) {
			b.Fatalf("%s: pushed file differs (%d bytes, %v)", h.Name, len(got), err)
		}
	}
	printTable(samples, len(hosts))
}

func mode(parallel bool) string {
	if parallel {
		return "parallel"
	}
	return "sequential"
}

// forHosts runs fn for every host, one after another or all at once.
func forHosts(hosts []*lab.Host, parallel bool, fn func(h *lab.Host) error) error {
	if !parallel {
		for _, h := range hosts {
			if err := fn(h); err != nil {
				return err
			}
		}
		return nil
	}
	names := make([]string, len(hosts))
	byName := map[string]*lab.Host{}
	for i, h := range hosts {
		names[i], byName[h.Name] = h.Name, h
	}
	return remote.ForEach(context.Background(), names, len(hosts), func(_ context.Context, name string) error {
		return fn(byName[name])
	})
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// printTable prints the medians and the ratios peer / roma.
func printTable(samples map[string][]time.Duration, hosts int) {
	ms := func(name string) string {
		d := median(samples[name])
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	ratio := func(peer, roma string) string {
		r := median(samples[roma])
		if r == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2fx", float64(median(samples[peer]))/float64(r))
	}
	rows := []struct{ label, roma, seq, par string }{
		{fmt.Sprintf("connect + run true, %d hosts", hosts), "connect/roma-parallel", "connect/ssh-sequential", "connect/ssh-parallel"},
		{fmt.Sprintf("push 16 MiB to %d hosts", hosts), "push/roma-parallel", "push/scp-sequential", "push/scp-parallel"},
		{fmt.Sprintf("push 16 MiB, %d open conns", hosts), "push-connected/roma-parallel", "push/scp-sequential", "push/scp-parallel"},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nremote vs OpenSSH on %d lab hosts (median of %d runs; ratio = OpenSSH time / roma time, above 1: roma is faster)\n", hosts, len(samples["push/roma-parallel"]))
	fmt.Fprintf(&b, "%-30s %12s %18s %8s %18s %8s\n", "operation", "roma", "ssh/scp one by one", "ratio", "ssh/scp parallel", "ratio")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-30s %12s %18s %8s %18s %8s\n", r.label, ms(r.roma), ms(r.seq), ratio(r.seq, r.roma), ms(r.par), ratio(r.par, r.roma))
	}
	fmt.Print(b.String())
}
