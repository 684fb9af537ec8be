package backup

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestMarkReader: the payload before the EOF mark comes out whole,
// however the stream is cut into reads, and whatever follows the mark is
// not read; a stream that ends without the mark is a lost source.
func TestMarkReader(t *testing.T) {
	mark := strings.Repeat("0123456789", 4)
	payload := bytes.Repeat([]byte("REDIS0010 payload with 0123456789 inside "), 20000)
	stream := append(append(bytes.Clone(payload), mark...), "+after the mark\r\n"...)
	for name, r := range map[string]func() io.Reader{
		"whole":      func() io.Reader { return bytes.NewReader(stream) },
		"one byte":   func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) },
		"half reads": func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := io.ReadAll(&markReader{r: r(), mark: []byte(mark)})
			if err != nil || !bytes.Equal(got, payload) {
				t.Errorf("read %d bytes, err %v; want the %d payload bytes", len(got), err, len(payload))
			}
		})
	}
	_, err := io.ReadAll(&markReader{r: bytes.NewReader(payload), mark: []byte(mark)})
	if !errors.Is(err, ErrSourceLost) {
		t.Errorf("no mark: %v, want ErrSourceLost", err)
	}
	// A mark cut in two by the reads is still found.
	cut := &markReader{r: io.MultiReader(bytes.NewReader([]byte("abc"+mark[:17])), bytes.NewReader([]byte(mark[17:]+"zzz"))), mark: []byte(mark)}
	if got, err := io.ReadAll(cut); err != nil || string(got) != "abc" {
		t.Errorf("cut mark: %q, %v", got, err)
	}
}

func TestExactReader(t *testing.T) {
	got, err := io.ReadAll(&exactReader{r: strings.NewReader("0123456789extra"), left: 10, total: 10})
	if err != nil || string(got) != "0123456789" {
		t.Errorf("read %q, %v", got, err)
	}
	_, err = io.ReadAll(&exactReader{r: strings.NewReader("01234"), left: 10, total: 10})
	if !errors.Is(err, ErrSourceLost) || !strings.Contains(err.Error(), "5 of 10 bytes") {
		t.Errorf("short stream: %v", err)
	}
}
