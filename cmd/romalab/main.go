// Command romalab starts and stops roma's test lab by hand: several SSH
// "hosts" on this machine, each a real sshd on its own loopback address in
// its own mount and UTS namespace (see package lab).
//
//	romalab up [-hosts N] -dir DIR   start a lab that outlives the command
//	romalab down -dir DIR            stop it and remove DIR
//
// `make lab-up` and `make lab-down` run these with -dir .lab, which is what
// examples/lab/roma.hcl expects. It needs root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/roma-redis/roma/lab"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage:
  romalab up [-hosts N] -dir DIR   start N lab hosts (default 4) that outlive this command
  romalab down -dir DIR            stop the lab recorded in DIR and remove DIR
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("romalab "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory for the lab's keys, configs, logs and host roots (required)")
	var hosts *int
	switch args[0] {
	case "up":
		hosts = fs.Int("hosts", 4, "number of hosts, db1..dbN")
	case "down":
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "romalab: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	if args[0] == "up" {
		err = up(stdout, *dir, *hosts)
	} else {
		err = down(stdout, *dir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "romalab: %v\n", err)
		return 1
	}
	return 0
}

func up(w io.Writer, dir string, hosts int) error {
	if os.Geteuid() != 0 {
		return errors.New("the lab needs root (namespaces, sshd on loopback addresses)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	l, err := lab.Start(ctx, lab.Options{Hosts: hosts, Dir: dir, Persistent: true})
	if err != nil {
		return err
	}
	took := time.Since(start)
	rel := relative(l.Dir)
	fmt.Fprintf(w, "lab up in %v: %d hosts, files in %s\n\n", took.Round(time.Millisecond), len(l.Hosts), rel)
	fmt.Fprintf(w, "  %-6s %-16s %-6s %s\n", "HOST", "ADDRESS", "PORT", "PID")
	for _, h := range l.Hosts {
		fmt.Fprintf(w, "  %-6s %-16s %-6d %d\n", h.Name, h.Address, h.Port, h.Pid())
	}
	fmt.Fprintf(w, `
Every host takes user root with the key %[1]s/id_ed25519, and its
host key is in %[1]s/known_hosts. Each has a private /var/lib/roma and /root.

  ssh -F %[1]s/ssh_config db1 hostname
  scp -F %[1]s/ssh_config FILE db2:/var/lib/roma/
  romalab down -dir %[1]s     (or: make lab-down)
`, rel)
	if l.Slot != 0 {
		fmt.Fprintf(w, "\nWARNING: 127.0.0.11 and up are taken (by another lab, or tests running), so\nthese hosts are on 127.0.%d.x: examples/lab/roma.hcl, which expects\n127.0.0.x, will not reach them.\n", l.Slot)
	}
	return nil
}

func down(w io.Writer, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(w, "no lab in %s\n", relative(abs))
		return nil
	}
	if !lab.IsLabDir(abs) {
		return fmt.Errorf("%s does not hold a lab (no pids file); not touching it", relative(abs))
	}
	if err := lab.Down(abs); err != nil {
		return err
	}
	fmt.Fprintf(w, "lab in %s stopped and removed\n", relative(abs))
	return nil
}

// relative shortens p to a path relative to the working directory when it
// lies below it.
func relative(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && r != ".." && !filepath.IsAbs(r) && len(r) < len(p) && (len(r) < 3 || r[:3] != "../") {
		return r
	}
	return p
}
