// Package viewtest runs the outside checkers that the status views are
// tested with: xmllint (Debian libxml2-utils) validates XML against the
// XSD, and headless Chromium (Debian chromium) renders the HTML page. When
// one is missing it is installed with apt-get as root; a test that cannot
// have it fails as root or under CI=true, and skips otherwise.
package viewtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Phone is the window size of a phone in portrait (CSS pixels).
const PhoneWidth, PhoneHeight = 390, 844

var installMu sync.Mutex

// Need returns the path of program, installing Debian package pkg when it
// is missing and the test runs as root.
func Need(t testing.TB, program, pkg string) string {
	t.Helper()
	installMu.Lock()
	defer installMu.Unlock()
	if p, err := exec.LookPath(program); err == nil {
		return p
	}
	must := os.Geteuid() == 0 || os.Getenv("CI") == "true"
	if os.Geteuid() == 0 {
		if out, err := aptInstall(pkg); err != nil {
			t.Fatalf("%s is missing and apt-get install %s failed: %v\n%s", program, pkg, err, out)
		}
		if p, err := exec.LookPath(program); err == nil {
			return p
		}
	}
	if must {
		t.Fatalf("%s is missing: apt-get install %s (or scripts/deps.sh)", program, pkg)
	}
	t.Skipf("%s is missing (not root, not CI): apt-get install %s", program, pkg)
	return ""
}

func aptInstall(pkg string) ([]byte, error) {
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if out, err := run("install", "-y", "--no-install-recommends", pkg); err == nil {
		return out, nil
	}
	if out, err := run("update"); err != nil {
		return out, err
	}
	return run("install", "-y", "--no-install-recommends", pkg)
}

// XMLLint validates doc against the schema xsd with xmllint and reports
// a failure with xmllint's words.
func XMLLint(t testing.TB, xsd, doc []byte) {
	t.Helper()
	lint := Need(t, "xmllint", "libxml2-utils")
	dir := t.TempDir()
	xp, dp := filepath.Join(dir, "schema.xsd"), filepath.Join(dir, "doc.xml")
	if err := os.WriteFile(xp, xsd, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dp, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--noout", "--nonet", "--schema", xp, dp).CombinedOutput()
	if err != nil {
		t.Errorf("xmllint: the document does not validate: %v\n%s", err, out)
	}
}

// chromium runs headless Chromium on an HTML page with extra flags and
// returns its standard output.
func chromium(t testing.TB, page []byte, width, height int, flags ...string) []byte {
	t.Helper()
	bin := Need(t, "chromium", "chromium")
	dir := t.TempDir()
	p := filepath.Join(dir, "page.html")
	if err := os.WriteFile(p, page, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + filepath.Join(dir, "profile"),
		"--window-size=" + strconv.Itoa(width) + "," + strconv.Itoa(height)}, flags...)
	args = append(args, "file://"+p)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// Page is an HTML page as headless Chromium rendered it.
type Page struct {
	DOM         string // the DOM Chromium built, serialized
	ScrollWidth int    // the document's width in CSS pixels
}

// Render renders page in a frame of the given size (headless Chromium
// will not make its window narrower than 500 pixels, so the page goes in
// an iframe of a phone's width), and returns the DOM Chromium built for
// the page and the width the page takes.
func Render(t testing.TB, page []byte, width, height int) Page {
	t.Helper()
	js, err := json.Marshal(string(page))
	if err != nil {
		t.Fatal(err)
	}
	host := fmt.Sprintf(frameHost, width, height, js)
	dom := string(chromium(t, []byte(host), max(width, 500), height, "--dump-dom"))
	_, rest, ok := strings.Cut(dom, `data-scroll-width="`)
	if !ok {
		t.Fatalf("chromium: the page did not load in its frame; DOM:\n%s", dom)
	}
	v, _, _ := strings.Cut(rest, `"`)
	w, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("chromium: scroll width %q", v)
	}
	_, inner, _ := strings.Cut(dom, "<textarea id=\"dom\">")
	inner, _, _ = strings.Cut(inner, "</textarea>")
	return Page{DOM: html.UnescapeString(inner), ScrollWidth: w}
}

// frameHost loads a page into an iframe and, once it has loaded, records
// its DOM and width in the host's DOM for --dump-dom.
const frameHost = `<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" width="%d" height="%d" style="border:0"></iframe><textarea id="dom"></textarea>
<script>
const f = document.getElementById("f");
f.onload = () => {
  const d = f.contentDocument;
  document.getElementById("dom").textContent = d.documentElement.outerHTML;
  document.body.setAttribute("data-scroll-width", d.documentElement.scrollWidth);
};
f.srcdoc = %s;
</script></body></html>`

// Screenshot renders page at the given window size into a PNG at path
// (its directory is created).
func Screenshot(t testing.TB, page []byte, path string, width, height int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(abs)
	chromium(t, page, width, height, "--screenshot="+abs)
	if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
		t.Fatalf("chromium wrote no screenshot at %s: %v", abs, err)
	}
}

var (
	tags   = regexp.MustCompile(`<[^>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

// PartitionText returns the text that the rendered page shows in the card
// of partition p (tags stripped, spaces collapsed), or "" when there is
// no such card.
func PartitionText(dom string, p int) string {
	_, card, ok := strings.Cut(dom, `id="partition-`+strconv.Itoa(p)+`"`)
	if !ok {
		return ""
	}
	card, _, _ = strings.Cut(card, "</article>")
	if _, c, ok := strings.Cut(card, ">"); ok {
		card = c
	}
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(card, " ")), " "))
}

// CheckMaster checks that the rendered page shows master as partition p's
// master ("" for none: the card then says so).
func CheckMaster(t testing.TB, dom string, p int, master string) {
	t.Helper()
	text := PartitionText(dom, p)
	switch {
	case text == "":
		t.Errorf("the rendered page has no card for partition %d", p)
	case !strings.HasPrefix(text, "Partition "+strconv.Itoa(p)+" "):
		t.Errorf("partition %d's card does not start with its name: %q", p, text)
	case master == "" && !strings.Contains(text, "no master"):
		t.Errorf("partition %d has no master, but its card does not say so: %q", p, text)
	case master != "" && !strings.Contains(text, " "+master+" master "):
		t.Errorf("partition %d's card does not show %s as its master: %q", p, master, text)
	}
}
