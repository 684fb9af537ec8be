package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/roma-redis/roma/hclspec"
	"github.com/spf13/cobra"
)

type fmtOptions struct {
	check, diff, recursive, list bool
}

func newFmtCmd(s *streams) *cobra.Command {
	var o fmtOptions
	c := &cobra.Command{
		Use:   "fmt [PATH...]",
		Short: "Rewrite roma.hcl files in canonical format",
		Long: `Fmt rewrites the .hcl files at each PATH (default: the current directory)
in canonical layout, and lists the files it changed. With -check it changes
nothing, lists the files that need formatting and exits 1 if there are any.
PATH "-" formats standard input to standard output.`,
		RunE: func(_ *cobra.Command, args []string) error { return runFmt(s, &o, args) },
	}
	f := c.Flags()
	f.BoolVar(&o.check, "check", false, "change nothing; exit 1 and list the files that are not formatted")
	f.BoolVar(&o.diff, "diff", false, "print the changes as a unified diff")
	f.BoolVar(&o.recursive, "recursive", false, "also format .hcl files in subdirectories")
	f.BoolVar(&o.list, "list", true, "list the files whose formatting differs")
	return c
}

func runFmt(s *streams, o *fmtOptions, args []string) error {
	if len(args) == 0 {
		args = []string{"."}
	}
	if len(args) == 1 && args[0] == "-" {
		return fmtStdin(s)
	}
	var files []string
	for _, p := range args {
		found, err := hclFiles(p, o.recursive)
		if err != nil {
			return err
		}
		files = append(files, found...)
	}
	unformatted, failed := 0, false
	for _, f := range files {
		changed, err := fmtFile(s, o, f)
		if err != nil {
			failed = true
			continue
		}
		if changed {
			unformatted++
		}
	}
	if failed || o.check && unformatted > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// hclFiles lists the .hcl files at path: the file itself, or those in the
// directory (and below it with recursive), skipping hidden directories.
func hclFiles(path string, recursive bool) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("fmt %s: %w", path, err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".hcl") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fmt %s: %w", path, err)
	}
	return out, nil
}

// fmtFile formats one file, reporting whether it needed formatting.
func fmtFile(s *streams, o *fmtOptions, path string) (bool, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(s.err, "Error: fmt %s: %v\n", path, err)
		return false, err
	}
	out, diags := hclspec.Format(src, path)
	if diags.HasErrors() {
		hclspec.FilesOnly(path, src).WriteDiagnostics(s.err, diags, useColor(s.err))
		return false, diags
	}
	if bytes.Equal(src, out) {
		return false, nil
	}
	if o.list {
		fmt.Fprintln(s.out, path)
	}
	if o.diff {
		writeDiff(s.out, path, src, out)
	}
	if o.check {
		return true, nil
	}
	if err := writeFileAtomic(path, out); err != nil {
		fmt.Fprintf(s.err, "Error: fmt %s: %v\n", path, err)
		return true, err
	}
	return true, nil
}

func fmtStdin(s *streams) error {
	src, err := io.ReadAll(s.in)
	if err != nil {
		return fmt.Errorf("fmt: read standard input: %w", err)
	}
	out, diags := hclspec.Format(src, "<stdin>")
	if diags.HasErrors() {
		hclspec.FilesOnly("<stdin>", src).WriteDiagnostics(s.err, diags, useColor(s.err))
		return exitStatus(exitError)
	}
	_, err = s.out.Write(out)
	return err
}

func writeDiff(w io.Writer, path string, a, b []byte) {
	text, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: diffLines(a), B: diffLines(b),
		FromFile: "old/" + filepath.ToSlash(path), ToFile: "new/" + filepath.ToSlash(path), Context: 3,
	})
	fmt.Fprint(w, text)
}

// diffLines splits text into lines that keep their "\n", as the unified
// diff wants them. Unlike difflib.SplitLines it adds no empty line after a
// final newline; a last line without one is given one.
func diffLines(text []byte) []string {
	lines := strings.SplitAfter(string(text), "\n")
	if last := len(lines) - 1; lines[last] == "" {
		lines = lines[:last]
	} else {
		lines[last] += "\n"
	}
	return lines
}

// writeFileAtomic replaces path with data through a temporary file in the
// same directory, keeping the file's mode; on failure path is untouched.
func writeFileAtomic(path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), st.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
