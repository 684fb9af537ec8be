package redistest

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// Unreachable returns an address of 127.0.0.1 where a dial times out, as
// it does to a host that is down or behind a firewall that drops: a
// socket that listens with a backlog of one connection, filled, whose
// connections are never accepted. Linux drops the SYNs of any more.
func Unreachable(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "unreachable")
	t.Cleanup(func() { f.Close() })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	// Fill the queue: dials succeed until it is full; the first that
	// times out shows it is.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				t.Fatalf("filling the backlog of %s: %v", addr, err)
			}
			return addr
		}
		t.Cleanup(func() { c.Close() })
		if i > 16 {
			t.Fatalf("%s accepted %d connections: its backlog is not filling", addr, i)
		}
	}
}

// Listen serves a free port of 127.0.0.1 with serve, called with each
// connection, which it then holds open until the test ends, and returns
// the address: something at a node's address that is not a Redis node.
func Listen(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
				<-done
			}()
		}
	}()
	return l.Addr().String()
}

// FreePort returns a port of 127.0.0.1 where nothing listens.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
