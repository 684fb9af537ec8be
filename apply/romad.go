package apply

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
	"github.com/roma-redis/roma/plan"
	"github.com/roma-redis/roma/providers/service"
	"github.com/roma-redis/roma/remote"
)

// romadUnit is romad's service on host h.
func (e *executor) romadUnit(h cluster.Host) service.Unit {
	l := cluster.LayoutOf(h)
	return service.Unit{Cluster: e.spec.Name, Name: "romad", Kind: service.KindRomad, Argv: plan.RomadArgv(h),
		Dir: l.Root, PidFile: l.Pid("romad"), LogFile: l.Log("romad"), StopTimeout: 10 * time.Second}
}

// romadPhase installs romad where the plan says, and (re)starts it.
func (e *executor) romadPhase(ctx context.Context) {
	var jobs []job
	config, secrets, genErr := plan.RomadFiles(e.spec)
	for _, r := range e.p.Resources {
		if r.Kind != "romad" || r.Action == plan.Delete {
			continue
		}
		h, ok := e.spec.Host(r.Host)
		if !ok {
			continue
		}
		install := hasStep(r, "install-romad")
		restart := hasStep(r, "restart")
		jobs = append(jobs, job{address: r.Address, host: h.Name, verb: "installing and starting romad", doneMsg: "romad running",
			run: func(ctx context.Context, t remote.Transport) error {
				if genErr != nil {
					return genErr
				}
				l := cluster.LayoutOf(h)
				if install {
					info, err := hostInfo(ctx, t)
					if err != nil {
						return err
					}
					bin, err := plan.RomadBinary(info.os, info.arch)
					if err != nil {
						return fmt.Errorf("host %s is %s/%s: %w", h.Name, info.os, info.arch, err)
					}
					if err := t.MkdirAll(ctx, l.BinDir(), 0o755); err != nil {
						return err
					}
					if err := t.MkdirAll(ctx, l.EtcDir(), 0o700); err != nil {
						return err
					}
					if err := t.Upload(ctx, bin, l.RomadBin(), 0o755); err != nil {
						return err
					}
					if err := t.WriteFile(ctx, l.RomadConfig(), config, 0o644); err != nil {
						return err
					}
					if err := t.WriteFile(ctx, l.RomadSecrets(), secrets, 0o600); err != nil {
						return err
					}
				}
				if err := runService(ctx, t, h, e.romadUnit(h), restart); err != nil {
					return err
				}
				if err := e.waitRomad(ctx, h); err != nil {
					return err
				}
				_ = t.Remove(ctx, stoppedFile(h, "romad")) // roma stop's record, if any: it runs again
				return nil
			}})
	}
	if len(jobs) == 0 {
		return
	}
	e.phase("romad")
	first, last := e.alphaLast(ctx, jobs)
	e.runJobs(ctx, first)
	if len(last) == 0 {
		return
	}
	var failed []string
	for _, j := range first {
		if e.hasFailed(j.address) {
			failed = append(failed, j.host)
		}
	}
	if len(failed) > 0 {
		hosts := strings.Join(failed, ", ")
		for _, j := range last {
			e.fail(j.address, j.host, fmt.Errorf("not restarted: romad did not come up on %s, so the alpha, on %s, keeps running as it was; fix %s, then apply again",
				hosts, j.host, hosts), 0)
		}
		return
	}
	e.runJobs(ctx, last)
}

// alphaLast splits the romad jobs: the published alpha's host goes last,
// alone, when other romads are (re)started too. They take over at once
// when the alpha stops (its lease given up), so the cluster is without an
// alpha for a moment only, where restarting every romad at once left it
// without one until they had elected one; and a romad that does not come
// up on them stops the apply before the alpha goes down.
func (e *executor) alphaLast(ctx context.Context, jobs []job) (first, last []job) {
	if len(jobs) < 2 || len(e.spec.Status) == 0 {
		return jobs, nil
	}
	clients, done := e.statusClients(nil)
	defer done()
	r := e.readPublished(ctx, clients)
	if r.Status == nil || r.Status.Alpha == "" {
		return jobs, nil
	}
	for _, j := range jobs {
		if j.host == r.Status.Alpha {
			last = append(last, j)
		} else {
			first = append(first, j)
		}
	}
	if len(first) == 0 {
		return jobs, nil
	}
	return first, last
}

// waitRomad waits until romad answers on its HTTP port.
func (e *executor) waitRomad(ctx context.Context, h cluster.Host) error {
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		if last = e.romadAnswer(ctx, h); last == nil {
			return nil
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("romad on %s does not answer at %s after 15s: %v (see %s)", h.Name, e.romadURL(h), last, cluster.LayoutOf(h).Log("romad"))
}

// romadURL is the metrics page of romad on h, which answers once it runs.
func (e *executor) romadURL(h cluster.Host) string {
	return "http://" + net.JoinHostPort(h.Address, strconv.Itoa(e.spec.Romad.HTTPPort)) + "/metrics"
}

// romadAnswer asks romad on h for its metrics page once: nil when it
// answers, else why not.
func (e *executor) romadAnswer(ctx context.Context, h cluster.Host) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.romadURL(h), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

type info struct{ os, arch string }

func hostInfo(ctx context.Context, t remote.Transport) (info, error) {
	res, err := t.Run(ctx, "uname -s; uname -m")
	if err != nil {
		return info{}, err
	}
	var i info
	if _, err := fmt.Sscan(string(res.Stdout), &i.os, &i.arch); err != nil {
		return info{}, fmt.Errorf("uname on %s: %q", t.Name(), res.Stdout)
	}
	return i, nil
}

// removeRomad stops romad and removes its files from h.
func (e *executor) removeRomad(ctx context.Context, t remote.Transport, h cluster.Host) error {
	mgr, err := service.For(h.Service)
	if err != nil {
		return err
	}
	if _, err := mgr.Uninstall(ctx, t, e.romadUnit(h)); err != nil {
		return err
	}
	l := cluster.LayoutOf(h)
	for _, f := range []string{l.RomadBin(), l.RomadConfig(), l.RomadSecrets(), l.Pid("romad"), stoppedFile(h, "romad")} {
		if err := t.Remove(ctx, f); err != nil && !isNotExist(err) {
			return err
		}
	}
	return nil
}
