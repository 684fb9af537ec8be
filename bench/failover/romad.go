package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/apply"
	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/lab"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/plan/plantest"
	"github.com/roma-redis/roma/status"
)

// romadSys is the romad side: a cluster of one partition with a node on
// each of the first three hosts, three status nodes (one on each of them)
// and a romad on each, applied with roma's own apply.
type romadSys struct {
	o        options
	l        *lab.Lab
	spec     *cluster.Spec
	statuses map[string]*redis.Client
	names    map[string]string // node address -> name
}

func (r *romadSys) Name() string { return "romad" }

// romadConfig is the roma.hcl of the romad side on lab l.
func romadConfig(l *lab.Lab, o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "variable \"redis_password\" {\n  sensitive = true\n}\n\n")
	fmt.Fprintf(&b, "cluster %q {\n  partitions = 1\n  password   = var.redis_password\n}\n\n", clusterName)
	for _, h := range l.Hosts {
		fmt.Fprintf(&b, "host %q {\n  address = %q\n  service = \"process\"\n\n  ssh {\n    user          = \"root\"\n    port          = %d\n    identity_file = %q\n    known_hosts   = %q\n  }\n}\n\n",
			h.Name, h.Address, h.Port, l.IdentityFile, l.KnownHosts)
	}
	var names []string
	for i, h := range l.Hosts {
		fmt.Fprintf(&b, "node \"%s-%d\" {\n  host      = %q\n  port      = %d\n  partition = 0\n}\n\n", h.Name, o.romadPort, h.Name, o.romadPort)
		fmt.Fprintf(&b, "status \"st%d\" {\n  host = %q\n  port = %d\n}\n\n", i+1, h.Name, o.romadPort+100)
		names = append(names, strconv.Quote(h.Name))
	}
	fmt.Fprintf(&b, "romad {\n  hosts      = [%s]\n  down_after = %q\n  http_port  = %d\n}\n", strings.Join(names, ", "), o.downAfter.String(), o.httpPort)
	return b.String()
}

// setupRomad builds romad, writes the roma.hcl and applies it: nodes,
// replication, status nodes and the romads, as `roma apply` would.
func setupRomad(ctx context.Context, o options, l *lab.Lab, work string) (*romadSys, error) {
	bin := filepath.Join(work, "romad-bin")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(bin, "romad"), "./cmd/romad").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/romad: %w: %s", err, out)
	}
	os.Setenv(plan.RomadDirEnv, bin)
	dir := filepath.Join(work, "romad")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "roma.hcl"), []byte(romadConfig(l, o)), 0o644); err != nil {
		return nil, err
	}
	cfg, diags := hclspec.Load(dir, hclspec.Options{Vars: []string{"redis_password=" + password}})
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s/roma.hcl: %s", dir, diags.Error())
	}
	r := &romadSys{o: o, l: l, spec: cfg.Spec, statuses: map[string]*redis.Client{}, names: map[string]string{}}
	for _, s := range r.spec.Status {
		addr := r.spec.Addr(s.Host, s.Port)
		r.statuses[addr] = newClient(addr, password)
	}
	for _, n := range r.spec.Nodes {
		r.names[r.spec.Addr(n.Host, n.Port)] = n.Name
	}
	actx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	p := plan.Diff(r.spec, plan.Observer{Dial: plantest.Dial}.Observe(actx, r.spec), plan.Options{})
	res, err := apply.Apply(actx, r.spec, p, apply.Options{Dial: plantest.Dial})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return r, fmt.Errorf("roma apply: %w", err)
	}
	return r, nil
}

func (r *romadSys) read(ctx context.Context) status.Reading {
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return status.ReadMajority(rctx, r.statuses, r.spec.Name)
}

func (r *romadSys) node(addr string) string {
	if n, ok := r.names[addr]; ok {
		return n
	}
	return addr
}

// Steady waits until the status, read from a majority, is OK with every
// node up, and the master it names is followed by both other nodes,
// caught up.
func (r *romadSys) Steady(ctx context.Context, timeout time.Duration) (string, error) {
	var why error
	deadline := time.Now().Add(timeout)
	for {
		why = func() error {
			rd := r.read(ctx)
			if !rd.Majority || rd.Status == nil {
				return fmt.Errorf("no status on a majority: %s", rd.Summary())
			}
			st := rd.Status
			if st.State != status.OK {
				return fmt.Errorf("status %s (epoch %d)", st.State, st.Epoch)
			}
			m := st.Master(0)
			var replicas []string
			for _, n := range r.spec.Nodes {
				ns := st.Nodes[n.Name]
				if ns.State != status.NodeUp {
					return fmt.Errorf("status: %s is %s", n.Name, ns.State)
				}
				if n.Name != m {
					replicas = append(replicas, ns.Addr)
				}
			}
			return replicationSettled(ctx, st.Nodes[m].Addr, replicas, password)
		}()
		if why == nil {
			return r.Master(ctx), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", fmt.Errorf("not steady within %s: %w", timeout, why)
		}
		sleep(ctx, 100*time.Millisecond)
	}
}

func (r *romadSys) Locator() locator {
	var addrs []string
	for a := range r.statuses {
		addrs = append(addrs, a)
	}
	return newRomadLocator(r.spec.Name, addrs, password)
}

// Master is the master's address as the status on a majority names it.
func (r *romadSys) Master(ctx context.Context) string {
	rd := r.read(ctx)
	if !rd.Majority || rd.Status == nil || rd.Status.Master(0) == "" {
		return ""
	}
	return rd.Status.Nodes[rd.Status.Master(0)].Addr
}

// Restore starts the killed node again with roma start, which brings it
// back as a replica of the running master.
func (r *romadSys) Restore(ctx context.Context, addr string) error {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res, err := apply.Start(sctx, r.spec, apply.Scope{}, apply.Options{Dial: plantest.Dial})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("roma start: %w", err)
	}
	return nil
}

// Logs returns where romad logs on each host, for a report.
func (r *romadSys) Logs() map[string]string {
	out := map[string]string{}
	for _, h := range r.l.Hosts {
		out[h.Name] = filepath.Join(h.Root, "log", "romad.log")
	}
	return out
}

func (r *romadSys) Close() {
	for _, c := range r.statuses {
		c.Close()
	}
}
