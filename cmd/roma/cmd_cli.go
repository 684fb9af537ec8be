package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/roma-redis/roma/client"
	"github.com/roma-redis/roma/cluster"
	"github.com/spf13/cobra"
)

type cliOptions struct {
	configFlags
	raw          bool
	json         bool
	all          bool
	perPartition bool
	yes          bool
	pipe         bool
	which        bool
	replicas     bool
	timeout      time.Duration
}

func newCLICmd(s *streams) *cobra.Command {
	var o cliOptions
	c := &cobra.Command{
		Use:   "cli [-c PATH] [COMMAND ARGS...]",
		Short: "Run Redis commands on the cluster, each on its key's partition",
		Long: `Cli runs a Redis command on the master of its key's partition, as the
cluster status says, and prints the reply as redis-cli does: "(integer) 1",
"(nil)", numbered arrays, "(error) ...". --raw prints bare values, --json
one JSON value per reply.

MGET, MSET, DEL, UNLINK, EXISTS and TOUCH may name keys in several
partitions: they are split and their replies merged. Other commands whose
keys span partitions (RENAME, SUNIONSTORE, EVAL, a MULTI...EXEC) are
refused; keys with one hash tag, as in {user1}.a and {user1}.b, share a
partition. So are SORT's BY and GET patterns without such a tag before
their '*': SORT {user1}.ids BY {user1}.w_* runs.

Commands without a key (DBSIZE, KEYS, SCAN, FLUSHALL, INFO, PING) and
commands roma does not know run on every partition with --all: DBSIZE,
KEYS, SCAN, PING, FLUSHALL and FLUSHDB are merged into one reply (SCAN
iterates to the end), the others printed per partition, as is everything
with --per-partition. FLUSHALL and FLUSHDB ask for confirmation (--yes
skips it).

With no command, cli reads commands from standard input, one per line: at
an interactive prompt with history (~/.roma_history) on a terminal, or as a
script otherwise. MULTI ... EXEC there runs as one transaction. --pipe
reads commands (lines, or RESP as redis-cli --pipe takes) and streams them
to each partition's master without waiting for replies, as redis-cli
--pipe does, then reports how many replies and errors came back. Commands
a failover turns away (READONLY) are sent again to the new master.

--which KEY... prints the partition and the nodes of each key.

A command gives up on a node that does not answer within --timeout,
naming it; a blocking command (BLPOP, XREAD BLOCK, WAIT...) waits its own
timeout first, and as long as it takes when that is 0. When no majority
of the status nodes answers, cli tries again for up to 3s (a status node
restarted by a roll is back by then) before it gives up.

Exit status: 0, or 1 when a command failed (an error reply included).
Flags go before the command; everything after it is passed on as it is.`,
		Example: `  roma cli -c roma.hcl SET user:1 alice
  roma cli MGET user:1 user:2 user:3
  roma cli --all DBSIZE
  roma cli --which user:1
  roma cli --pipe < commands.txt`,
		RunE: func(cmd *cobra.Command, args []string) error { return runCLI(cmd.Context(), s, &o, args) },
	}
	f := c.Flags()
	f.SetInterspersed(false)
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations["raw-args"] = "true"
	o.register(f)
	f.BoolVar(&o.raw, "raw", false, "print replies bare, as redis-cli --raw")
	f.BoolVar(&o.json, "json", false, "print each reply as one line of JSON")
	f.BoolVar(&o.all, "all", false, "run the command on every partition's master")
	f.BoolVar(&o.perPartition, "per-partition", false, "with --all, print each partition's reply rather than a merged one")
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask before FLUSHALL or FLUSHDB with --all")
	f.BoolVar(&o.pipe, "pipe", false, "read commands from standard input and stream them to the masters")
	f.BoolVar(&o.which, "which", false, "print the partition and nodes of each KEY given")
	f.BoolVar(&o.replicas, "replica-reads", false, "send read-only commands to replicas")
	f.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up on reading the status, or on a reply, after this long (a blocking command: after its own timeout and this)")
	return c
}

func runCLI(ctx context.Context, s *streams, o *cliOptions, args []string) error {
	if err := o.check(args); err != nil {
		return err
	}
	spec, err := o.loadSpec(s, nil)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	sctx, cancel := context.WithTimeout(ctx, o.timeout)
	// Each command's context bounds its wait for a reply (cmdCtx): BLPOP
	// and friends may block for as long as they say.
	c, err := newClient(sctx, spec, client.Options{ReplicaReads: o.replicas, ReadTimeout: -1})
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	ss := &cliSession{ctx: ctx, c: c, o: o, out: s.out, errOut: s.err, format: o.format()}
	switch {
	case o.which:
		return ss.which(args)
	case o.pipe:
		return runPipe(ss, s.in)
	case len(args) > 0:
		return ss.oneShot(args, s.in)
	case isTerminal(s.in):
		return runInteractive(ss, s, spec.Name)
	}
	return runScript(ss, s.in)
}

func (o *cliOptions) check(args []string) error {
	switch {
	case o.raw && o.json:
		return usageError{errors.New("give --raw or --json, not both")}
	case o.pipe && (len(args) > 0 || o.which || o.all):
		return usageError{errors.New("--pipe reads commands from standard input: give no command, --which or --all with it")}
	case o.which && len(args) == 0:
		return usageError{errors.New("--which needs at least one KEY")}
	case o.which && o.all:
		return usageError{errors.New("give --which or --all, not both")}
	case o.perPartition && !o.all:
		return usageError{errors.New("--per-partition goes with --all")}
	}
	return nil
}

func (o *cliOptions) format() replyFormat {
	switch {
	case o.raw:
		return formatRaw
	case o.json:
		return formatJSON
	}
	return formatHuman
}

// oneShot runs the command on the command line.
func (ss *cliSession) oneShot(args []string, in io.Reader) error {
	switch strings.ToLower(args[0]) {
	case "multi", "exec", "discard", "watch", "unwatch":
		return fmt.Errorf("%s needs more than one command line: run it at the prompt, or give the commands on standard input", strings.ToUpper(args[0]))
	}
	ss.confirm = func(q string) bool {
		fmt.Fprint(ss.out, q)
		yes := readYes(&streams{in: in})
		if !isTerminal(in) {
			fmt.Fprintln(ss.out)
		}
		return yes
	}
	res, err := ss.exec(args)
	if err != nil {
		return cliError(err, ss.o.all)
	}
	ss.print(args, res)
	if res.isErr() {
		return exitStatus(exitError)
	}
	return nil
}

// cliError turns a client error into the one line roma cli prints.
func cliError(err error, all bool) error {
	var ce *client.CommandError
	if !errors.As(err, &ce) {
		return err
	}
	name := strings.ToUpper(ce.Command)
	switch {
	case errors.Is(err, client.ErrNoKey) && !all:
		return fmt.Errorf("%s has no key to route by: run it on every partition with --all", name)
	case errors.Is(err, client.ErrUnknownCommand) && !all:
		return fmt.Errorf("unknown command %s: roma does not know which of its arguments are keys; run it on every partition with --all", name)
	}
	return err
}

// statusWait is how long cli waits for a majority of the status nodes to
// answer, as the client waits for a failover: a status node restarted by
// a roll is back within it, and with a single status node that restart
// is the whole majority.
const statusWait = 3 * time.Second

// newClient is client.NewFromSpec, tried again for up to statusWait (and
// within ctx) while no majority of the status nodes answers, unless they
// refuse roma.hcl's password: waiting cannot mend that.
func newClient(ctx context.Context, spec *cluster.Spec, o client.Options) (*client.Client, error) {
	deadline := time.Now().Add(statusWait)
	for {
		c, err := client.NewFromSpec(ctx, spec, o)
		if errors.Is(err, client.ErrPassword) {
			return nil, fmt.Errorf("%w: %s", err, cluster.PasswordHint)
		}
		if err == nil || !errors.Is(err, client.ErrNoMajority) || time.Now().After(deadline) {
			return c, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}
