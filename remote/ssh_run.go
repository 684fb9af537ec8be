package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Run runs cmd with /bin/sh -c in a new session on the shared connection.
// Cancelling ctx kills the command's whole process group: see killGroup.
func (s *SSH) Run(ctx context.Context, cmd string, opts ...RunOption) (Result, error) {
	o := collectRunOptions(opts)
	what := quoteCmd(cmd)
	if err := ctx.Err(); err != nil {
		return Result{}, wrap(s.cfg.Host, "run", what, err)
	}
	c, err := s.connect(ctx)
	if err != nil {
		return Result{}, err
	}
	sess, err := c.client.NewSession()
	if err != nil {
		return Result{}, s.lost(c, "run", what, fmt.Errorf("open session: %w", err))
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	pg := &pgidWriter{w: &stdout, ready: make(chan struct{})}
	sess.Stdin, sess.Stdout, sess.Stderr = o.stdin, pg, &stderr
	if err := sess.Start(wrapCommand(cmd)); err != nil {
		return Result{}, s.lost(c, "run", what, err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		s.killGroup(c, sess, pg)
		sess.Close()
		select { // let the output copies finish, but not forever
		case <-done:
		case <-time.After(cancelGrace):
		}
		return Result{}, wrap(s.cfg.Host, "run", what, ctx.Err())
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	var ee *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
		return res, nil
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitStatus()
		if ee.Signal() != "" && res.ExitCode == 0 {
			res.ExitCode = 128 + signalNumber(ee.Signal())
		}
		return res, nil
	case errors.As(err, &missing):
		return res, s.lost(c, "run", what, &connLostError{cause: errors.New("the command ended without an exit status")})
	}
	return res, s.lost(c, "run", what, err)
}

// wrapCommand makes the remote side first print the process group of the
// command on its own line of standard output (sshd makes each session's
// command a session and process group leader), then run cmd with /bin/sh
// in that same process, whatever the user's login shell.
func wrapCommand(cmd string) string {
	return `echo $$; exec /bin/sh -c ` + ShellQuote(cmd)
}

// killGroup kills the command of sess and everything it started in its
// process group. It asks sshd with a signal request, which OpenSSH honours
// only from 7.9 on and never for root logins before 9.8, and, to be sure,
// runs "kill -9 -PGID" in a second session with the process group
// the command printed first.
func (s *SSH) killGroup(c *sshConn, sess *ssh.Session, pg *pgidWriter) {
	sess.Signal(ssh.SIGKILL)
	var pgid int
	select {
	case <-pg.ready:
		pgid = pg.pgid
	case <-time.After(100 * time.Millisecond):
	}
	if pgid <= 1 {
		return // the wrapper never started: nothing to kill
	}
	kill, err := c.client.NewSession()
	if err != nil {
		return // the connection is gone; so is the session
	}
	defer kill.Close()
	done := make(chan struct{})
	go func() {
		kill.Run("kill -9 -" + strconv.Itoa(pgid) + " 2>/dev/null")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(cancelGrace):
	}
}

// pgidWriter takes the first line of a wrapped command's standard output,
// the process group, and passes the rest on to w.
type pgidWriter struct {
	w     *bytes.Buffer
	ready chan struct{} // closed once pgid is set

	mu   sync.Mutex
	line []byte
	seen bool
	pgid int
}

func (p *pgidWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	if !p.seen {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.line = append(p.line, b...)
			return n, nil
		}
		p.line = append(p.line, b[:i]...)
		p.pgid, _ = strconv.Atoi(strings.TrimSpace(string(p.line)))
		p.seen = true
		close(p.ready)
		b = b[i+1:]
	}
	p.w.Write(b)
	return n, nil
}

// signalNumber maps the signal names SSH reports to Linux numbers.
func signalNumber(name string) int {
	n := map[string]int{"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "ABRT": 6, "FPE": 8,
		"KILL": 9, "SEGV": 11, "PIPE": 13, "ALRM": 14, "TERM": 15, "USR1": 10, "USR2": 12}[name]
	if n == 0 {
		n = 1
	}
	return n
}
