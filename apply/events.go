package apply

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Event is one line of apply's progress.
type Event struct {
	Time    time.Time     `json:"time"`
	Type    string        `json:"type"` // phase, start, done, failed, info
	Phase   string        `json:"phase,omitempty"`
	Address string        `json:"address,omitempty"`
	Host    string        `json:"host,omitempty"`
	Action  string        `json:"action,omitempty"`
	Message string        `json:"message"`
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
}

// Reporter receives events. It is called from several goroutines.
type Reporter func(Event)

// HumanReporter writes events as lines that read well in a CI log:
//
//	node.db1-7000: starting on db1 (create)
//	node.db1-7000: started on db1 after 0.4s
func HumanReporter(w io.Writer) Reporter {
	var mu sync.Mutex
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Type {
		case "phase":
			fmt.Fprintf(w, "\n== %s\n", e.Message)
		case "start":
			fmt.Fprintf(w, "%s: %s...\n", e.Address, e.Message)
		case "done":
			fmt.Fprintf(w, "%s: %s after %s\n", e.Address, e.Message, round(e.Elapsed))
		case "failed":
			fmt.Fprintf(w, "%s: FAILED after %s: %s\n", e.Address, round(e.Elapsed), e.Message)
		default:
			if e.Address != "" {
				fmt.Fprintf(w, "%s: %s\n", e.Address, e.Message)
			} else {
				fmt.Fprintf(w, "%s\n", e.Message)
			}
		}
	}
}

func round(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}
