package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/roma-redis/roma/hclspec"
	"github.com/roma-redis/roma/providers/hash"
	"github.com/spf13/cobra"
)

type hashOptions struct {
	function   string
	partitions int
	timeout    time.Duration
	config     configFlags
}

func newHashCmd(s *streams) *cobra.Command {
	var o hashOptions
	c := &cobra.Command{
		Use:   "hash [--function NAME] [--partitions N | -c PATH] KEY...",
		Short: "Print the partition of each key",
		Long: `Hash prints the partition (0..N-1) of each KEY, one per line, as the
cluster's clients compute it. The partition count and hash function come from
--partitions and --function, or from the cluster in roma.hcl: -c PATH,
else $ROMA_CONFIG, else the current directory's .hcl files when it has any.
--function overrides the file's function. A KEY of "-" reads keys from
standard input, one per line. Put -- before keys that start with a dash.

Functions: jump (the default), modulo, and exec:PROGRAM, which runs
"PROGRAM KEY N" and reads the partition from its output. See docs/hash.md.`,
		Example: `  roma hash --partitions 4 user1000 '{user1000}.following'
  roma hash --function modulo --partitions 10 foo bar
  roma hash -c roma.hcl - < keys.txt`,
		RunE: func(c *cobra.Command, args []string) error {
			return runHash(s, c, &o, args)
		},
	}
	f := c.Flags()
	f.StringVar(&o.function, "function", "", "hash function: jump, modulo or exec:PROGRAM (default: the cluster's, else jump)")
	f.IntVar(&o.partitions, "partitions", 0, "number of partitions")
	f.DurationVar(&o.timeout, "timeout", hash.DefaultExecTimeout, "time limit for each run of an exec: program")
	o.config.register(f)
	return c
}

func runHash(s *streams, c *cobra.Command, o *hashOptions, keys []string) error {
	fn, n, err := hashSetup(s, c, o)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return usageError{errors.New(`give at least one KEY, or "-" to read keys from standard input`)}
	}
	out := bufio.NewWriter(s.out)
	defer out.Flush()
	for _, k := range keys {
		if k == "-" {
			err = hashLines(out, s.in, fn, n)
		} else {
			err = hashKey(out, fn, []byte(k), n)
		}
		if err != nil {
			return err
		}
	}
	return out.Flush()
}

// hashSetup works out the function and partition count from the flags and,
// with -c, roma.hcl.
func hashSetup(s *streams, c *cobra.Command, o *hashOptions) (hash.Func, int, error) {
	flags := c.Flags()
	withConfig := flags.Changed("config")
	if !withConfig && !flags.Changed("partitions") && hasDefaultConfig() {
		// As every other command: roma.hcl from $ROMA_CONFIG or the
		// current directory.
		withConfig = true
	}
	switch {
	case withConfig && flags.Changed("partitions"):
		return nil, 0, usageError{errors.New("give --partitions or -c, not both")}
	case !withConfig && (flags.Changed("var") || flags.Changed("var-file")):
		return nil, 0, usageError{errors.New("--var and --var-file need -c")}
	case !withConfig && !flags.Changed("partitions"):
		return nil, 0, usageError{errors.New("give the number of partitions with --partitions N, or a roma.hcl with -c PATH (the current directory holds no .hcl file)")}
	case o.timeout <= 0:
		return nil, 0, usageError{fmt.Errorf("--timeout must be positive, not %s", o.timeout)}
	}
	spec, n := o.function, o.partitions
	if withConfig {
		cl, err := o.config.loadSpec(s, nil)
		if err != nil {
			return nil, 0, err
		}
		n = cl.Partitions
		if !flags.Changed("function") {
			spec = cl.Hash
		}
	} else if n < 1 {
		return nil, 0, usageError{fmt.Errorf("--partitions must be at least 1, not %d", n)}
	}
	fn, err := hash.New(spec)
	if err != nil {
		if flags.Changed("function") {
			err = usageError{fmt.Errorf("--function: %w", err)}
		}
		return nil, 0, err
	}
	if x, ok := fn.(*hash.Exec); ok {
		x.Timeout = o.timeout
	}
	return fn, n, nil
}

func hashKey(out *bufio.Writer, fn hash.Func, key []byte, n int) error {
	p, err := fn.Partition(key, n)
	if err != nil {
		return err
	}
	out.Write(strconv.AppendInt(nil, int64(p), 10))
	return out.WriteByte('\n')
}

// hashLines hashes each line of in as a key. A line ends at "\n", and a
// "\r" before it is dropped; a last line without "\n" is a key too.
func hashLines(out *bufio.Writer, in io.Reader, fn hash.Func, n int) error {
	r := bufio.NewReader(in)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			key := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if err := hashKey(out, fn, key, n); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read keys from standard input: %w", err)
		}
	}
}

// hasDefaultConfig tells whether a command without -c has a configuration
// to read: $ROMA_CONFIG is set, or the current directory holds .hcl files.
func hasDefaultConfig() bool {
	if os.Getenv("ROMA_CONFIG") != "" {
		return true
	}
	names, _ := hclspec.ConfigFiles(".")
	return len(names) > 0
}
