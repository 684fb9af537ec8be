package alert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// message renders a as an RFC 5322 mail from env.from to env.to: a plain
// UTF-8 text body, quoted-printable so no line is too long for SMTP.
func message(env envelope, a Alert) []byte {
	date := a.Time
	if date.IsZero() {
		date = time.Now()
	}
	to := make([]string, len(env.to))
	for i, addr := range env.to {
		to[i] = addr.String()
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(fold(name + ": " + oneLine(value))) }
	header("Date", date.Format(time.RFC1123Z))
	header("From", env.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(a.Subject)))
	header("Message-ID", messageID(a, domainOf(env.from.Address)))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no vacation replies
	header("X-Roma-Cluster", a.Cluster)
	header("X-Roma-Kind", a.Kind)
	if a.Incident != "" {
		header("X-Roma-Incident", a.Incident)
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(a.Body))
	qp.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// messageID is the same for every try at sending the same alert, so a
// receiver can tell a retried mail from a new one.
func messageID(a Alert, domain string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%s", a.Cluster, a.Kind, a.Incident, a.Time.UnixNano(), a.Subject)
	return fmt.Sprintf("<%s.%d@%s>", hex.EncodeToString(h.Sum(nil)[:12]), a.Time.Unix(), domain)
}

// domainOf returns the domain of an address, or "roma.invalid".
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		return addr[i+1:]
	}
	return "roma.invalid"
}

// fold returns a header line ending in CRLF, folded at spaces (RFC 5322
// 2.2.3) so that no line is longer than 78 characters where a space
// allows.
func fold(line string) string {
	const max = 78
	var b strings.Builder
	n := 0 // length of the current line
	for i, word := range strings.Split(line, " ") {
		switch {
		case i == 0:
		case word != "" && i > 1 && n+1+len(word) > max:
			b.WriteString("\r\n")
			n = 0
			fallthrough
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	b.WriteString("\r\n")
	return b.String()
}

// oneLine keeps a header value on one line, so no value can add headers.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}
