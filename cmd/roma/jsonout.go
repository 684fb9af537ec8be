package main

import (
	"encoding/json"
	"io"
)

// jsonUIVersion is the version of roma's machine-readable output. Every
// -json stream starts with a version message carrying it.
const jsonUIVersion = "1.0"

// jsonStream writes newline-delimited JSON messages.
type jsonStream struct{ enc *json.Encoder }

// newJSONStream starts a -json stream on w with its version message.
func newJSONStream(w io.Writer) *jsonStream {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	js := &jsonStream{enc: enc}
	js.emit(map[string]any{
		"@level": "info", "@message": "roma " + version, "type": "version",
		"roma": version, "ui": jsonUIVersion,
	})
	return js
}

func (js *jsonStream) emit(v any) { _ = js.enc.Encode(v) }
