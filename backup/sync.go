package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// ErrSourceLost is a replication connection that ended before the whole
// RDB arrived: the node died, restarted or dropped the transfer.
var ErrSourceLost = errors.New("the node's connection ended in the middle of the transfer")

// DefaultIdleTimeout is how long a transfer may go without a byte from the
// node. A node preparing an RDB on disk sends a newline every second, so a
// longer silence means it is gone.
const DefaultIdleTimeout = 60 * time.Second

// syncConn is a connection to a node that poses as a replica to be sent
// an RDB snapshot, as redis-cli --rdb does.
type syncConn struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
	idle time.Duration
	stop func() bool // undoes the close-on-cancel hook
	// deadline, when set, bounds every read however active the link is
	// (a consistent backup's snapshot must come within the pause).
	deadline time.Time

	ReplID string // from +FULLRESYNC
	Offset int64  // the replication offset the snapshot is taken at
}

// dialSync connects to the node at addr, authenticates and announces a
// replica that wants only the RDB (REPLCONF rdb-only, Redis 7+; older
// nodes ignore it and stream on after the RDB, which is simply not read)
// and understands the diskless EOF-marker format (capa eof).
func dialSync(ctx context.Context, addr, password, previous, localAddr string, idle time.Duration) (*syncConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if localAddr != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localAddr)}
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	c := &syncConn{addr: addr, conn: conn, idle: idle}
	c.br = bufio.NewReaderSize(deadlineReader{c}, 256<<10)
	c.stop = context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*syncConn, error) {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	if password != "" {
		err := c.command("AUTH", password)
		if err != nil && previous != "" && strings.HasPrefix(err.Error(), "WRONGPASS") {
			err = c.command("AUTH", previous) // a rotation under way
		}
		if err != nil {
			if !strings.Contains(err.Error(), "without any password configured") {
				return fail(fmt.Errorf("AUTH: %w", err))
			}
		}
	}
	if err := c.command("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return fail(fmt.Errorf("REPLCONF capa: %w", err))
	}
	if err := c.command("REPLCONF", "rdb-only", "1"); err != nil && !strings.Contains(err.Error(), "REPLCONF") {
		return fail(fmt.Errorf("REPLCONF rdb-only: %w", err))
	}
	return c, nil
}

// Close closes the connection.
func (c *syncConn) Close() error {
	c.stop()
	return c.conn.Close()
}

// deadlineReader renews the connection's read deadline before each read,
// so that only a silence longer than the idle timeout fails it.
type deadlineReader struct{ c *syncConn }

func (d deadlineReader) Read(p []byte) (int, error) {
	dl := time.Now().Add(d.c.idle)
	if !d.c.deadline.IsZero() && d.c.deadline.Before(dl) {
		dl = d.c.deadline
	}
	d.c.conn.SetReadDeadline(dl)
	return d.c.conn.Read(p)
}

// command sends a command and reads a simple reply: an error reply
// becomes an error.
func (c *syncConn) command(args ...string) error {
	if err := c.send(args...); err != nil {
		return err
	}
	line, err := c.line()
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "-") {
		return errors.New(line[1:])
	}
	return nil
}

func (c *syncConn) send(args ...string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.conn.SetWriteDeadline(time.Now().Add(c.idle))
	_, err := c.conn.Write(b.Bytes())
	return err
}

// line reads one reply line without its CRLF, skipping the bare newlines
// a master sends to keep the link alive while it prepares the RDB.
func (c *syncConn) line() (string, error) {
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", fmt.Errorf("%w (it closed the connection)", ErrSourceLost)
			}
			return "", err
		}
		if l = strings.TrimRight(l, "\r\n"); l != "" {
			return l, nil
		}
	}
}

// psync asks for a full resynchronization (PSYNC ? -1) and waits for the
// node to answer +FULLRESYNC: it has then taken (forked) the snapshot it
// is about to send, at c.Offset.
func (c *syncConn) psync() error {
	if err := c.send("PSYNC", "?", "-1"); err != nil {
		return err
	}
	l, err := c.line()
	if err != nil {
		return err
	}
	f := strings.Fields(l)
	if len(f) != 3 || f[0] != "+FULLRESYNC" {
		return fmt.Errorf("PSYNC: the node answered %q, not +FULLRESYNC", l)
	}
	c.ReplID = f[1]
	if c.Offset, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return fmt.Errorf("PSYNC: bad offset in %q", l)
	}
	return nil
}

// payload waits for the RDB's header and returns a reader of exactly the
// RDB, in either form the node sends: "$<length>\r\n" followed by that
// many bytes (the RDB was written to disk first), or "$EOF:<40 bytes>\r\n"
// followed by the RDB and the same 40 bytes (diskless, straight from the
// forked child).
func (c *syncConn) payload() (io.Reader, error) {
	l, err := c.line()
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(l, "-") {
		return nil, fmt.Errorf("the node refused the transfer: %s", l[1:])
	}
	if !strings.HasPrefix(l, "$") {
		return nil, fmt.Errorf("unexpected reply %q where the RDB belongs", l)
	}
	if mark, ok := strings.CutPrefix(l, "$EOF:"); ok {
		if len(mark) != eofMarkLen {
			return nil, fmt.Errorf("EOF mark of %d bytes, want %d", len(mark), eofMarkLen)
		}
		return &markReader{r: c.br, mark: []byte(mark)}, nil
	}
	n, err := strconv.ParseInt(l[1:], 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad RDB length %q", l)
	}
	return &exactReader{r: c.br, left: n, total: n}, nil
}

// eofMarkLen is the length of the diskless transfer's EOF mark
// (RDB_EOF_MARK_SIZE).
const eofMarkLen = 40

// exactReader reads exactly total bytes; a stream that ends sooner is
// ErrSourceLost.
type exactReader struct {
	r           io.Reader
	left, total int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err != nil && e.left > 0 {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: %d of %d bytes arrived", ErrSourceLost, e.total-e.left, e.total)
		}
		return n, err
	}
	if e.left == 0 {
		return n, io.EOF
	}
	return n, nil
}

// markReader returns what r sends up to the EOF mark. It holds back the
// last len(mark)-1 bytes it has read, which could be the start of the
// mark, until more arrive.
type markReader struct {
	r        io.Reader
	mark     []byte
	buf      []byte // read, not yet returned: a window of store
	store    []byte
	searched int // bytes at the front of buf searched for the mark already
	done     bool
	got      int64
}

func (m *markReader) Read(p []byte) (int, error) {
	for {
		if m.done {
			if len(m.buf) == 0 {
				return 0, io.EOF
			}
			n := copy(p, m.buf)
			m.buf = m.buf[n:]
			return n, nil
		}
		// Search only what was not searched yet, and the bytes before it
		// that could start the mark.
		from := max(0, m.searched-(len(m.mark)-1))
		if i := bytes.Index(m.buf[from:], m.mark); i >= 0 {
			m.buf, m.done = m.buf[:from+i], true
			continue
		}
		m.searched = len(m.buf)
		if safe := len(m.buf) - (len(m.mark) - 1); safe > 0 {
			n := copy(p, m.buf[:safe])
			m.buf = m.buf[n:]
			m.searched -= n
			return n, nil
		}
		if m.store == nil {
			m.store = make([]byte, 256<<10)
			m.buf = m.store[:copy(m.store, m.buf)]
		} else if cap(m.buf)-len(m.buf) < 64<<10 {
			m.buf = m.store[:copy(m.store, m.buf)] // move what is held to the front
		}
		n, err := m.r.Read(m.buf[len(m.buf):cap(m.buf)])
		m.buf = m.buf[:len(m.buf)+n]
		m.got += int64(n)
		if err != nil && n == 0 {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: %d bytes arrived, without the end mark", ErrSourceLost, m.got)
			}
			return 0, err
		}
	}
}
