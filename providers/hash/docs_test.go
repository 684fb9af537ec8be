package hash

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The test vector tables of docs/hash.md and the testscripts that run them
// through roma hash are generated from testdata/vectors.txt and
// testdata/exec_vectors.txt. The tests below fail when any of them differs
// from what the vector files say; ROMA_UPDATE_VECTORS=1 rewrites them.
const (
	docFile           = "../../docs/hash.md"
	vectorsScript     = "../../cmd/roma/testdata/script/hash_vectors.txtar"
	execVectorsScript = "../../cmd/roma/testdata/script/hash_exec_vectors.txtar"
	updateEnv         = "ROMA_UPDATE_VECTORS"
)

// execVector is one line of testdata/exec_vectors.txt: one run of an exec
// program and what roma makes of it.
type execVector struct {
	Stdout, Stderr string // printf %b escapes, as answer.sh expands them
	Exit, N        int
	Result         string // a partition, or "error: " and the message
	Note           string
}

func readExecVectors(t testing.TB) []execVector {
	t.Helper()
	data, err := os.ReadFile("testdata/exec_vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	var vs []execVector
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("testdata/exec_vectors.txt:%d: %d columns, want 6", i+1, len(f))
		}
		exit, err1 := strconv.Atoi(f[2])
		n, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			t.Fatalf("testdata/exec_vectors.txt:%d: bad exit or n", i+1)
		}
		vs = append(vs, execVector{Stdout: f[0], Stderr: f[1], Exit: exit, N: n, Result: f[4], Note: f[5]})
	}
	return vs
}

// TestExecVectors runs every exec vector through the Go implementation,
// with testdata/answer.sh writing what the vector says.
func TestExecVectors(t *testing.T) {
	src, err := os.ReadFile("testdata/answer.sh")
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "answer.sh")
	if err := os.WriteFile(prog, src, 0o755); err != nil {
		t.Fatal(err)
	}
	f := mustNew(t, "exec:"+prog)
	for i, v := range readExecVectors(t) {
		t.Run(fmt.Sprintf("%d %s", i+1, v.Note), func(t *testing.T) {
			t.Setenv("ROMA_TEST_STDOUT", v.Stdout)
			t.Setenv("ROMA_TEST_STDERR", v.Stderr)
			t.Setenv("ROMA_TEST_EXIT", strconv.Itoa(v.Exit))
			var got string
			p, err := f.Partition([]byte("k"), v.N)
			if err != nil {
				got = "error: " + strings.TrimPrefix(err.Error(), "hash program "+prog+`, key "k": `)
			} else {
				got = strconv.Itoa(p)
			}
			if got != v.Result {
				t.Errorf("stdout %q, stderr %q, exit %d, n %d:\n got %s\nwant %s", v.Stdout, v.Stderr, v.Exit, v.N, got, v.Result)
			}
		})
	}
}

// TestDocVectors checks that docs/hash.md's tables are the vector files.
func TestDocVectors(t *testing.T) {
	doc, err := os.ReadFile(docFile)
	if err != nil {
		t.Fatal(err)
	}
	want := string(doc)
	for _, sec := range []struct{ name, body string }{
		{"vectors.txt", vectorsTable(readVectors(t))},
		{"exec_vectors.txt", execTable(readExecVectors(t))},
	} {
		want, err = replaceSection(want, sec.name, sec.body)
		if err != nil {
			t.Fatalf("%s: %v", docFile, err)
		}
	}
	checkGenerated(t, docFile, string(doc), want)
}

// TestVectorScripts checks that the testscripts which run every vector
// through roma hash are generated from the vector files.
func TestVectorScripts(t *testing.T) {
	checkFile(t, vectorsScript, vectorsTxtar(readVectors(t)))
	answer, err := os.ReadFile("testdata/answer.sh")
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, execVectorsScript, execTxtar(readExecVectors(t), string(answer)))
}

func checkFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	checkGenerated(t, path, string(got), want)
}

// checkGenerated compares a generated file with what it should hold, or
// rewrites it when ROMA_UPDATE_VECTORS=1.
func checkGenerated(t *testing.T, path, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	if os.Getenv(updateEnv) == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", path)
		return
	}
	t.Errorf("%s is not what the vector files say (-file +want); run %s=1 go test ./providers/hash to update it:\n%s",
		path, updateEnv, cmp.Diff(got, want))
}

// replaceSection replaces the lines between "<!-- BEGIN name..." and
// "<!-- END name -->" with body.
func replaceSection(doc, name, body string) (string, error) {
	begin := strings.Index(doc, "<!-- BEGIN "+name)
	end := strings.Index(doc, "<!-- END "+name+" -->")
	if begin < 0 || end < begin {
		return "", fmt.Errorf("no BEGIN/END markers for %s", name)
	}
	bodyStart := begin + strings.IndexByte(doc[begin:], '\n') + 1
	return doc[:bodyStart] + body + doc[end:], nil
}

func vectorsTable(vs []vector) string {
	var b strings.Builder
	ns := make([]string, len(vectorNs))
	for i, n := range vectorNs {
		ns[i] = strconv.Itoa(n)
	}
	fmt.Fprintf(&b, "| key | key bytes (hex) | hashed part (hex) | FNV-1a 64 | CRC-32 | jump, N = %[1]s | modulo, N = %[1]s |\n", strings.Join(ns, ", "))
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, v := range vs {
		hashed := "= key"
		if !bytes.Equal(v.Hashed, v.Key) {
			hashed = hexCell(v.Hashed)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | `%016x` | `%08x` | %s | %s |\n",
			codeCell(v.Display), hexCell(v.Key), hashed, v.FNV, v.CRC, intList(v.Jump), intList(v.Modulo))
	}
	return b.String()
}

func execTable(vs []execVector) string {
	var b strings.Builder
	b.WriteString("| program writes | to standard error | exit | N | roma says | |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, v := range vs {
		result := v.Result
		if strings.HasPrefix(result, "error: ") {
			result = codeCell(result)
		} else {
			result = "partition " + result
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s |\n",
			optCode(v.Stdout), optCode(v.Stderr), v.Exit, v.N, result, v.Note)
	}
	return b.String()
}

func hexCell(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	return fmt.Sprintf("`%x`", b)
}

// codeCell is s as a Markdown code span in a table cell.
func codeCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	if strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

func optCode(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return codeCell(s)
}

func intList(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

const generatedHeader = "# Generated from providers/hash/testdata/%s by providers/hash/docs_test.go:\n" +
	"# run ROMA_UPDATE_VECTORS=1 go test ./providers/hash after changing the vectors,\n" +
	"# and do not edit this file.\n#\n"

// vectorsTxtar is the script that checks every jump and modulo vector with
// roma hash, for each partition count.
func vectorsTxtar(vs []vector) string {
	var b, args, stdin, order strings.Builder
	fmt.Fprintf(&b, generatedHeader, "vectors.txt")
	b.WriteString(`# roma hash prints the partition of every key of the documented test vectors
# (docs/hash.md), for jump (also as the default, with no --function) and
# modulo and each partition count. keys.sh passes every key as an argument,
# written with printf octal escapes so that any byte can be given, except
# those holding a NUL byte, which no argument can carry: those it gives on
# standard input ("-").
`)
	for _, fn := range []string{"jump", "modulo"} {
		for i, n := range vectorNs {
			fmt.Fprintf(&b, "exec sh keys.sh %s %d\ncmp stdout %s-%d.txt\n! stderr .\n", fn, n, fn, n)
			if fn == "jump" && i == 2 {
				fmt.Fprintf(&b, "exec sh keys.sh default %d\ncmp stdout %s-%d.txt\n", n, fn, n)
			}
		}
	}
	// Keys as arguments first, then those read from standard input.
	var argIdx, stdinIdx []int
	for i, v := range vs {
		if bytes.IndexByte(v.Key, 0) >= 0 {
			fmt.Fprintf(&stdin, "%s\\n", octal(v.Key))
			stdinIdx = append(stdinIdx, i)
			continue
		}
		fmt.Fprintf(&args, " \\\n  %s", shellWord(v.Key))
		argIdx = append(argIdx, i)
	}
	for _, i := range append(argIdx, stdinIdx...) {
		fmt.Fprintf(&order, "#   %s\n", vs[i].Display)
	}
	fmt.Fprintf(&b, `
-- keys.sh --
# keys.sh FUNCTION N: roma hash of every vector key; FUNCTION "default"
# gives no --function. The keys, in the order of the output:
%sset -e
fn="--function=$1"
[ "$1" = default ] && fn=
roma hash $fn --partitions "$2" --%s
printf '%s' | roma hash $fn --partitions "$2" -
`, order.String(), args.String(), stdin.String())
	for _, fn := range []string{"jump", "modulo"} {
		for col, n := range vectorNs {
			fmt.Fprintf(&b, "-- %s-%d.txt --\n", fn, n)
			for _, i := range append(argIdx, stdinIdx...) {
				p := vs[i].Jump[col]
				if fn == "modulo" {
					p = vs[i].Modulo[col]
				}
				fmt.Fprintf(&b, "%d\n", p)
			}
		}
	}
	return b.String()
}

// shellWord quotes key for sh: plain single quotes when it is printable
// ASCII without a quote, else "$(printf '...')" with octal escapes.
func shellWord(key []byte) string {
	plain := true
	for _, c := range key {
		if c < 0x20 || c > 0x7e || c == '\'' {
			plain = false
		}
	}
	if plain {
		return "'" + string(key) + "'"
	}
	return `"$(printf '` + octal(key) + `')"`
}

// octal writes key for a printf format: safe bytes as they are, the rest
// as \NNN.
func octal(key []byte) string {
	var b strings.Builder
	for _, c := range key {
		if c >= 0x20 && c <= 0x7e && c != '\'' && c != '\\' && c != '%' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\%03o`, c)
		}
	}
	return b.String()
}

// execTxtar is the script that checks every exec vector with roma hash.
func execTxtar(vs []execVector, answer string) string {
	var b, files strings.Builder
	fmt.Fprintf(&b, generatedHeader, "exec_vectors.txt")
	b.WriteString(`# roma hash --function exec:PROGRAM reproduces every documented exec vector
# (docs/hash.md): answer.sh writes what each vector says and exits with its
# status, and roma prints the partition, or the error.
chmod 755 answer.sh
`)
	for i, v := range vs {
		name := fmt.Sprintf("exec-%02d", i+1)
		fmt.Fprintf(&b, "\n# %s\nenv ROMA_TEST_STDOUT=%s\nenv ROMA_TEST_STDERR=%s\nenv ROMA_TEST_EXIT=%d\n",
			v.Note, scriptWord(v.Stdout), scriptWord(v.Stderr), v.Exit)
		run := fmt.Sprintf("exec roma hash --function exec:./answer.sh --partitions %d k", v.N)
		if msg, ok := strings.CutPrefix(v.Result, "error: "); ok {
			fmt.Fprintf(&b, "! %s\n! stdout .\ncmp stderr %s.err\n", run, name)
			fmt.Fprintf(&files, "-- %s.err --\nError: hash program ./answer.sh, key \"k\": %s\n", name, msg)
		} else {
			fmt.Fprintf(&b, "%s\ncmp stdout %s.out\n! stderr .\n", run, name)
			fmt.Fprintf(&files, "-- %s.out --\n%s\n", name, v.Result)
		}
	}
	fmt.Fprintf(&b, "\n-- answer.sh --\n%s%s", answer, files.String())
	return b.String()
}

// scriptWord quotes s as one testscript word.
func scriptWord(s string) string {
	if s == "" {
		return "''"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
