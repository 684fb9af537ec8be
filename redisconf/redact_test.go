package redisconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRedactRule(t *testing.T) {
	tests := []struct {
		name, rule, want string
		secret           bool
	}{
		{"password", "app on >apppass ~app:* +@all", "app on >(sensitive) ~app:* +@all", true},
		{"removed password and hashes", "app on <old #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 !abc nopass",
			"app on <(sensitive) #(sensitive) !(sensitive) nopass", true},
		{"quoted password with spaces", `app on ">pass with spaces" '<more secret' +get`, "app on >(sensitive) <(sensitive) +get", true},
		{"escaped quote in a password", `app on ">pa\"ss" +get`, "app on >(sensitive) +get", true},
		{"no password", "app on nopass ~app:* &chan -@dangerous +get", "app on nopass ~app:* &chan -@dangerous +get", false},
		{"a user named like a rule", ">odd on nopass", ">odd on nopass", false},
		{"spacing is shown as Redis reads it", "app  on\tnopass", "app on nopass", false},
		{"an argument needing quotes", `app on "%R~a b" nopass`, `app on "%R~a b" nopass`, false},
		{"unbalanced quotes: all of it", `app on ">secret`, "(sensitive)", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RedactRule(tc.rule)); diff != "" {
				t.Errorf("RedactRule(%q) (-want +got):\n%s", tc.rule, diff)
			}
			if got := SecretValue("user", []string{"other nopass", tc.rule}); got != tc.secret {
				t.Errorf("SecretValue(user, %q) = %v, want %v", tc.rule, got, tc.secret)
			}
		})
	}
}

func TestSecretValue(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		{"requirepass", []string{"x"}, true},
		{"masterauth", []string{"x"}, true},
		{"tls-key-file-pass", []string{"x"}, true},
		{"tls-client-key-file-pass", []string{"x"}, true},
		{"masteruser", []string{"replicator"}, false},
		{"rename-command", []string{"FLUSHALL >x"}, false},
		{"user", []string{"app on nopass +@all"}, false},
		{"user", []string{"app on nopass +@all", "ops on >pw +@all"}, true},
	}
	for _, tc := range tests {
		if got := SecretValue(tc.name, tc.values); got != tc.want {
			t.Errorf("SecretValue(%q, %q) = %v, want %v", tc.name, tc.values, got, tc.want)
		}
	}
	if diff := cmp.Diff([]string{"a on >(sensitive)", "b nopass"}, Shown("user", []string{"a on >x", "b nopass"})); diff != "" {
		t.Errorf("Shown(user) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"FLUSHALL >x"}, Shown("rename-command", []string{"FLUSHALL >x"})); diff != "" {
		t.Errorf("Shown(rename-command) (-want +got):\n%s", diff)
	}
}
