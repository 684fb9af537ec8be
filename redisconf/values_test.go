package redisconf

import (
	"strings"
	"testing"
)

// TestLiveCheckValue holds CheckValue to what a real redis-server does:
// for every directive it checks, each sample value is refused by CONFIG
// SET exactly when CheckValue refuses it.
func TestLiveCheckValue(t *testing.T) {
	r := startRedis(t, nil)
	samples := map[valueKind][]string{
		memoryValue: {"2mb", "2MB", "2097152", "2m", "4096k", "4096KB", "2 mb", "64 potatoes", "1.5mb", "mb", "-2mb", "2tb"},
		boolValue:   {"yes", "no", "YES", "No", "maybe", "true", "1", "y"},
	}
	values := map[string][]string{}
	for name, kind := range valueForms {
		values[name] = samples[kind]
	}
	for name, words := range enums {
		values[name] = append(append([]string(nil), words...), strings.ToUpper(words[0]), "lru", "every_sec", "none-of-these")
	}
	checked := 0
	for name, values := range values {
		for _, v := range values {
			if name == "loglevel" && v == "nothing" {
				continue // Redis 7.2's; Debian's may be 7.0
			}
			redisErr := r.configSet(name, v)
			ourErr := CheckValue(name, v)
			if v == "mb" {
				// Redis reads a unit alone as 0 (unlimited, for
				// maxmemory): CheckValue refuses it as the typo it is.
				if ourErr == nil {
					t.Errorf("%s %q: CheckValue accepts it", name, v)
				}
				continue
			}
			if (redisErr == nil) != (ourErr == nil) {
				t.Errorf("%s %q: CONFIG SET says %v, CheckValue says %v", name, v, redisErr, ourErr)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d values checked", checked)
	}
	if err := CheckValue("maxmemory", "64 potatoes"); err == nil || !strings.Contains(err.Error(), "64mb") {
		t.Errorf("CheckValue(maxmemory, 64 potatoes) = %v, want an error that shows the form", err)
	}
	if err := CheckValue("hz", "anything"); err != nil {
		t.Errorf("CheckValue of a directive it does not know the form of: %v, want nil", err)
	}
}

// TestCheckArgs: values of directives with several arguments must split as
// redis.conf reads them, and rename-command must leave alone what roma
// sends to its nodes.
func TestCheckArgs(t *testing.T) {
	tests := map[string]struct {
		name, value string
		why         string // a part of the error; "" when valid
	}{
		"rename to nothing":        {"rename-command", `FLUSHALL ""`, ""},
		"rename to a secret name":  {"rename-command", "KEYS k-8f3a", ""},
		"rename CONFIG":            {"rename-command", `CONFIG ""`, "renames CONFIG, which roma sends"},
		"rename config, any case":  {"rename-command", "config my-config", "renames CONFIG"},
		"rename REPLICAOF":         {"rename-command", "REPLICAOF x", "renames REPLICAOF"},
		"rename PSYNC":             {"rename-command", "psync x", "renames PSYNC"},
		"a name alone":             {"rename-command", "FLUSHALL", "must be a command and its new name"},
		"three words":              {"rename-command", "KEYS all keys", "must be a command and its new name"},
		"unbalanced":               {"rename-command", `FLUSHALL "`, "unbalanced quotes"},
		"quote then a letter":      {"user", `app on ">a"b`, "unbalanced quotes"},
		"another user":             {"user", "app on >app-password ~app:* +@read", ""},
		"the default user":         {"user", "default on nopass ~* +@all", "redefines the default user"},
		"save points":              {"save", "900 1", ""},
		"save off":                 {"save", "", ""},
		"one-argument directive":   {"maxmemory", "64mb", ""},
		"buffer limit":             {"client-output-buffer-limit", "replica 256mb 64mb 60", ""},
		"unbalanced single quotes": {"save", "'900 1", "unbalanced quotes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := CheckValue(tc.name, tc.value)
			switch {
			case tc.why == "" && err != nil:
				t.Errorf("CheckValue(%s, %q) = %v, want nil", tc.name, tc.value, err)
			case tc.why != "" && (err == nil || !strings.Contains(err.Error(), tc.why)):
				t.Errorf("CheckValue(%s, %q) = %v, want an error saying %q", tc.name, tc.value, err, tc.why)
			}
		})
	}
}
