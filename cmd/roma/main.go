package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// roma runs briefly with a small live heap (a 64-node plan peaks
		// at 28 MB whatever the setting): collecting at 5× the live heap
		// rather than 2× saves a fifth of a plan's CPU for no memory
		// that shows. GOGC set by the user wins.
		debug.SetGCPercent(400)
	}
	os.Exit(profiled(func() int { return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr) }))
}

// profiled runs fn with a CPU profile written to $ROMA_CPUPROFILE when it
// is set, for reports of a slow command (go tool pprof reads it).
func profiled(fn func() int) int {
	path := os.Getenv("ROMA_CPUPROFILE")
	if path == "" {
		return fn()
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "roma: ROMA_CPUPROFILE: %v\n", err)
		return fn()
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "roma: ROMA_CPUPROFILE: %v\n", err)
		return fn()
	}
	defer pprof.StopCPUProfile()
	return fn()
}

// streams are the standard streams a command reads and writes.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// run executes one roma command line and returns its exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{in: stdin, out: stdout, err: stderr}
	root := newRootCmd(s)
	root.SetArgs(normalizeArgs(root, args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	return exitCode(err, stderr)
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "roma",
		Short:         "Manage a replicated, partitioned Redis cluster declared in roma.hcl",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see '%s -help')", err, c.CommandPath())}
	})
	root.AddCommand(
		newVersionCmd(s),
		newValidateCmd(s),
		newFmtCmd(s),
		newHashCmd(s),
		newPlanCmd(s),
		newShowCmd(s),
		newApplyCmd(s),
		newDestroyCmd(s),
		newStartCmd(s),
		newStopCmd(s),
		newForceUnlockCmd(s),
		newTrustCmd(s),
		newStatusCmd(s),
		newBackupCmd(s),
		newRestoreCmd(s),
		newCLICmd(s),
	)
	return root
}

// normalizeArgs lets every long flag be written Terraform-style with one
// dash (-json, -var-file=x, -detailed-exitcode) as well as with two. Only
// names the command really defines are rewritten, so shorthand flags such as
// -c keep their meaning.
func normalizeArgs(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		cmd = root
	}
	// Commands that pass their arguments on (roma cli's Redis command)
	// take no flags after their first argument, so nothing there is
	// rewritten: roma cli SET k -raw stores "-raw".
	raw := cmd.Annotations["raw-args"] == "true"
	path := map[string]bool{}
	for c := cmd; c != nil && c != root; c = c.Parent() {
		path[c.Name()] = true
	}
	out := make([]string, 0, len(args))
	wantsValue := false
	for i, a := range args {
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		if raw && !wantsValue && !strings.HasPrefix(a, "-") && !path[a] {
			out = append(out, args[i:]...)
			break
		}
		wantsValue = false
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, hasValue := strings.Cut(a[1:], "=")
			if name == "help" || isLongFlag(cmd, name) {
				a = "-" + a
			}
			if f := cmd.Flags().Lookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
				wantsValue = true
			}
		} else if strings.HasPrefix(a, "--") {
			name, _, hasValue := strings.Cut(a[2:], "=")
			if f := cmd.Flags().Lookup(name); f != nil && !hasValue && f.NoOptDefVal == "" {
				wantsValue = true
			}
		} else if len(a) == 2 && a[0] == '-' {
			if f := cmd.Flags().ShorthandLookup(a[1:]); f != nil && f.NoOptDefVal == "" {
				wantsValue = true
			}
		}
		out = append(out, a)
	}
	return out
}

func isLongFlag(cmd *cobra.Command, name string) bool {
	if len(name) < 2 {
		return false
	}
	var found bool
	check := func(fs *pflag.FlagSet) {
		if f := fs.Lookup(name); f != nil {
			found = true
		}
	}
	check(cmd.Flags())
	check(cmd.InheritedFlags())
	return found
}
