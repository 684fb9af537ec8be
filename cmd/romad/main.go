// Command romad watches a roma cluster, elects an alpha among the romads
// and fails over dead masters; see package romad. roma apply installs it
// on the hosts of roma.hcl's romad block and keeps it running:
//
//	romad -config ROOT/etc/roma.hcl -var-file ROOT/etc/secrets.hcl -host db1
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/romad"
)

var version = "dev"

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("romad", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "roma.hcl", "the cluster's roma.hcl (as roma apply pushed it)")
	var varFiles multi
	fs.Var(&varFiles, "var-file", "variables file, such as the secrets file (repeatable)")
	host := fs.String("host", "", "this romad's host name in roma.hcl")
	lease := fs.Duration("lease", 2*time.Second, "the alpha lease")
	listen := fs.String("listen", "", "HTTP address (default: the host's address and romad's http_port; - disables)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVersion {
		fmt.Fprintln(os.Stdout, "romad", version)
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("romad", *host)
	redis.SetLogger(quietLogger{})
	cfg, diags := hclspec.Load(*config, hclspec.Options{VarFiles: varFiles, Environ: os.Environ()})
	if diags.HasErrors() {
		cfg.WriteDiagnostics(stderr, diags, false)
		return 1
	}
	d, err := romad.New(romad.Config{Spec: cfg.Spec, Self: *host, Lease: *lease, Listen: *listen, Log: log})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("romad starting", "version", version, "cluster", cfg.Spec.Name)
	if err := d.Run(ctx); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	log.Info("romad stopped")
	return 0
}

type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
