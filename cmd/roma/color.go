package main

import (
	"io"
	"os"
)

// noColor is set by -no-color on the commands that offer it.
var noColor bool

// useColor reports whether w is a terminal that should get colour: not with
// -no-color, NO_COLOR, TERM=dumb, or when w is not a terminal.
func useColor(w io.Writer) bool {
	if noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
