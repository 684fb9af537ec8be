package cluster

import (
	"errors"
	"testing"
)

func TestSecretRedact(t *testing.T) {
	s := NewSecret("hunter2-long")
	if got := s.Redact("AUTH hunter2-long failed; hunter2-long"); got != "AUTH (sensitive) failed; (sensitive)" {
		t.Errorf("Redact = %q", got)
	}
	if got := NewSecret("ab").Redact("ab cab"); got != "ab cab" {
		t.Errorf("a short secret garbled the text: %q", got)
	}
	base := errors.New("dial: refused")
	if got := s.RedactError(base); got != base {
		t.Errorf("RedactError changed an error without the secret: %v", got)
	}
	if got := s.RedactError(errors.New("WRONGPASS hunter2-long")); got.Error() != "WRONGPASS (sensitive)" {
		t.Errorf("RedactError = %v", got)
	}
	if s.RedactError(nil) != nil {
		t.Error("RedactError(nil) != nil")
	}
}
