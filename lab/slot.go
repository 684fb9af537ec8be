package lab

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// maxSlots is how many labs may run at once on one machine.
const maxSlots = 64

// takeSlot finds a slot k whose addresses 127.0.k.11.. are free for n
// hosts (plus the unused one after them) and that no other lab in a
// running process holds, and holds it until release is called (or this
// process exits).
func takeSlot(n int, persistent bool) (slot int, release func(), err error) {
	for k := 0; k < maxSlots; k++ {
		lock := filepath.Join(os.TempDir(), "roma-lab-slot-"+strconv.Itoa(k)+".lock")
		f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return 0, nil, fmt.Errorf("lab: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		if !slotFree(k, n) {
			f.Close()
			continue
		}
		return k, func() { f.Close() }, nil
	}
	return 0, nil, fmt.Errorf("lab: all %d slots busy: are stale labs running? (romalab down -dir DIR)", maxSlots)
}

// slotFree reports whether nothing listens on port Port of slot k's
// addresses for hosts 1..n+1.
func slotFree(k, n int) bool {
	for i := 1; i <= n+1; i++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(hostAddress(k, i), strconv.Itoa(Port)))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}
