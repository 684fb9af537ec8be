package alert

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

// hookServer records what a webhook receives.
type hookServer struct {
	*httptest.Server
	mu  sync.Mutex
	got []hookRequest
}

type hookRequest struct {
	Method      string
	Path        string
	Query       string
	ContentType string
	User        string
	Password    string
	Alert       Alert
}

func startHookServer(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) *hookServer {
	t.Helper()
	hs := &hookServer{}
	hs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		req := hookRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			ContentType: r.Header.Get("Content-Type"), User: user, Password: pass}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req.Alert); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
		}
		hs.mu.Lock()
		hs.got = append(hs.got, req)
		hs.mu.Unlock()
		if reply != nil {
			reply(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	return hs
}

func (hs *hookServer) requests() []hookRequest {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return append([]hookRequest(nil), hs.got...)
}

// hookURL is the server's URL with secrets in every place a URL can hold
// one: user information, path and query.
func hookURL(hs *hookServer) string {
	return strings.Replace(hs.URL, "http://", "http://roma:"+testPassword+"@", 1) + "/hooks/T0/tok3n-in-path?token=qu3ry-t0ken"
}

func TestWebhookDelivers(t *testing.T) {
	hs := startHookServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	w := newTestWebhook(t, hookURL(hs))
	a := testAlert
	a.Node, a.State = "db1-7000", StateHalt
	if err := w.Send(context.Background(), a); err != nil {
		t.Fatalf("Send: %v", err)
	}
	want := []hookRequest{{
		Method: "POST", Path: "/hooks/T0/tok3n-in-path", Query: "token=qu3ry-t0ken",
		ContentType: "application/json", User: "roma", Password: testPassword, Alert: a,
	}}
	if diff := cmp.Diff(want, hs.requests()); diff != "" {
		t.Errorf("webhook received (-want +got):\n%s", diff)
	}
}

func TestWebhookFails(t *testing.T) {
	tests := map[string]struct {
		reply     func(w http.ResponseWriter, r *http.Request)
		permanent bool
		want      string
	}{
		"server error": {
			reply: func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "database on fire", http.StatusInternalServerError)
			},
			want: "500 Internal Server Error: database on fire",
		},
		"not found": {
			reply:     func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			permanent: true,
			want:      "404 Not Found",
		},
		"too many requests": {
			reply:     func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) },
			permanent: false,
			want:      "429 Too Many Requests",
		},
		"redirect not followed": {
			reply: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere?token=qu3ry-t0ken", http.StatusFound)
			},
			want: "302 Found",
		},
		"timeout": {
			reply: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			want: "context deadline exceeded",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			hs := startHookServer(t, tt.reply)
			w := newTestWebhook(t, hookURL(hs))
			w.Timeout = 300 * time.Millisecond
			err := w.Send(context.Background(), testAlert)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			checkHookError(t, err, "webhook "+hs.URL+"/hooks/...: ", tt.want)
			if got := errors.Is(err, ErrPermanent); got != tt.permanent {
				t.Errorf("errors.Is(err, ErrPermanent) = %v, want %v", got, tt.permanent)
			}
			if n := len(hs.requests()); n != 1 {
				t.Errorf("server received %d requests, want 1", n)
			}
		})
	}
}

func TestWebhookConnectionRefused(t *testing.T) {
	hs := startHookServer(t, nil)
	u := hookURL(hs)
	hs.Close()
	err := newTestWebhook(t, u).Send(context.Background(), testAlert)
	if err == nil {
		t.Fatal("Send to a closed server succeeded")
	}
	checkHookError(t, err, "webhook "+hs.URL+"/hooks/...: ", "connection refused")
}

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"https://hooks.slack.com/services/T0/B0/XXXX": "https://hooks.slack.com/services/...",
		"https://u:pw@example.com/roma?token=abc":     "https://example.com/roma/...",
		"http://alerts.internal:8080/roma":            "http://alerts.internal:8080/roma",
		"http://alerts.internal:8080/":                "http://alerts.internal:8080",
		"http://alerts.internal:8080?k=v#frag":        "http://alerts.internal:8080/...",
		"not a url":                                   "(unparsable url)",
	}
	for in, want := range tests {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewWebhook(t *testing.T) {
	for _, u := range []string{"ftp://example.com/x", "example.com/x", "http://", "https://u:" + testPassword + "@/x?token=qu3ry-t0ken"} {
		_, err := New(cluster.Alert{Kind: "webhook", URL: u})
		if !errors.Is(err, ErrPermanent) {
			t.Errorf("New(%q): %v, want a permanent error", u, err)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, testPassword) || strings.Contains(msg, "qu3ry-t0ken") {
			t.Errorf("error %q shows a secret of the url", msg)
		}
	}
}

func newTestWebhook(t *testing.T, u string) *Webhook {
	t.Helper()
	s, err := New(cluster.Alert{Kind: "webhook", URL: u, DownFor: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Webhook)
}

// checkHookError checks that err starts with prefix, says want, and
// shows none of the URL's secrets.
func checkHookError(t *testing.T, err error, prefix, want string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not say %q", msg, want)
	}
	for _, secret := range []string{testPassword, "tok3n-in-path", "qu3ry-t0ken"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q shows the url's secret %q", msg, secret)
		}
	}
}
