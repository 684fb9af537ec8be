package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
)

// DefaultWebhookTimeout bounds one POST when the Webhook sets no Timeout
// and the context no earlier deadline.
const DefaultWebhookTimeout = 15 * time.Second

// Webhook sends alerts as a JSON POST of the Alert to a URL (alert
// "webhook" in roma.hcl). A reply other than 2xx is an error; redirects
// are not followed. The URL may carry user:password for basic auth and a
// token in its path or query: errors and Describe show only its scheme,
// host and first path segment.
type Webhook struct {
	URL string
	// Client makes the requests; nil means a client of roma's own that
	// follows no redirect.
	Client *http.Client
	// Timeout bounds one POST; 0 means DefaultWebhookTimeout.
	Timeout time.Duration
}

// NewWebhook returns the Webhook sender for an alert "webhook" block.
func NewWebhook(a cluster.Alert) (*Webhook, error) {
	u, err := url.Parse(a.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook alert: url must be http:// or https:// with a host, got %s: %w", redactURL(a.URL), ErrPermanent)
	}
	return &Webhook{URL: a.URL}, nil
}

var noRedirectClient = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Send POSTs a as JSON. Errors name the URL without its secrets and give
// the reply's status and the start of its body.
func (w *Webhook) Send(ctx context.Context, a Alert) error {
	shown := redactURL(w.URL)
	err := w.post(ctx, a)
	if err != nil {
		return redactErr(fmt.Errorf("webhook %s: %w", shown, err), secretsOf(w.URL)...)
	}
	return nil
}

func (w *Webhook) post(ctx context.Context, a Alert) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bad url (%w)", ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "roma-alert/1")
	client := w.Client
	if client == nil {
		client = noRedirectClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error quotes the whole URL, query and all: keep only
		// what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("%s", resp.Status)
	if text := strings.TrimSpace(oneLine(string(snippet))); text != "" {
		if len(text) > 200 {
			text = text[:200] + "..."
		}
		err = fmt.Errorf("%s: %s", resp.Status, text)
	}
	if permanentStatus(resp.StatusCode) {
		return fmt.Errorf("%w (%w)", err, ErrPermanent)
	}
	return err
}

// permanentStatus reports whether a reply says a retry cannot help: a
// client error other than a timeout or too many requests.
func permanentStatus(code int) bool {
	return code/100 == 4 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}

// redactURL shows a URL without its secrets: scheme, host and the first
// path segment ("https://hooks.slack.com/services/..."); no user
// information, query or fragment.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable url)"
	}
	shown := u.Scheme + "://" + u.Host
	path := strings.TrimPrefix(u.EscapedPath(), "/")
	first, rest, _ := strings.Cut(path, "/")
	if first != "" {
		shown += "/" + first
	}
	if rest != "" || u.RawQuery != "" {
		shown += "/..."
	}
	return shown
}

// secretsOf returns the parts of a URL an error must not show: its
// password, query and path below the first segment.
func secretsOf(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{raw}
	}
	var out []string
	if pw, ok := u.User.Password(); ok && pw != "" {
		out = append(out, pw)
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
	}
	path := strings.TrimPrefix(u.EscapedPath(), "/")
	if _, rest, _ := strings.Cut(path, "/"); rest != "" {
		out = append(out, rest)
	}
	return out
}
