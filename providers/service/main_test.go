package service

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary double as the programs the process tests
// run: "service.test helper-MODE" behaves as MODE says instead of testing.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		if run, ok := helpers[os.Args[1]]; ok {
			run()
			os.Exit(0)
		}
	}
	os.Exit(m.Run())
}

// helperLife bounds every helper, so that none outlives a failed test by
// long.
const helperLife = 2 * time.Minute

var helpers = map[string]func(){
	// helper-serve runs until SIGTERM, like a well-behaved daemon.
	"helper-serve": func() {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("helper: serving")
		select {
		case <-c:
			fmt.Println("helper: stopping on SIGTERM")
		case <-time.After(helperLife):
		}
	},
	// helper-refuses-once refuses its first SIGTERM, as Redis does while
	// it writes its first append-only file, and stops on the next.
	"helper-refuses-once": func() {
		c := make(chan os.Signal, 2)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("helper: serving")
		<-c
		fmt.Println("helper: refusing SIGTERM for now")
		select {
		case <-c:
			fmt.Println("helper: stopping on SIGTERM")
		case <-time.After(helperLife):
		}
	},
	// helper-stubborn ignores SIGTERM.
	"helper-stubborn": func() {
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("helper: ignoring SIGTERM")
		time.Sleep(helperLife)
	},
	// helper-fail fails at once, as a daemon with a bad config would.
	"helper-fail": func() {
		fmt.Fprintln(os.Stderr, "helper: bad setting on line 3")
		os.Exit(1)
	},
}

// testCtx bounds a test's steps so that a hang fails instead of stalling.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
