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

func TestSecretWithPrevious(t *testing.T) {
	s := NewSecret("new-pass-word").WithPrevious(NewSecret("old-pass-word"))
	if s.Reveal() != "new-pass-word" || s.Previous().Reveal() != "old-pass-word" {
		t.Fatalf("Reveal %q, Previous %q", s.Reveal(), s.Previous().Reveal())
	}
	if got := s.Redact("tried new-pass-word then old-pass-word"); got != "tried (sensitive) then (sensitive)" {
		t.Errorf("Redact = %q", got)
	}
	if got := s.RedactError(errors.New("AUTH old-pass-word")); got.Error() != "AUTH (sensitive)" {
		t.Errorf("RedactError = %v", got)
	}
	for _, got := range []string{s.String(), s.GoString(), s.Previous().String()} {
		if got != `(sensitive)` && got != `cluster.Secret("(sensitive)")` {
			t.Errorf("printed %q", got)
		}
	}
	if j, _ := s.MarshalJSON(); string(j) != `"(sensitive)"` {
		t.Errorf("JSON %s", j)
	}
	if s.Equal(NewSecret("new-pass-word")) {
		t.Error("a secret being rotated equals the same secret without its previous value")
	}
	if NewSecret("x-pass-word").Previous().IsSet() {
		t.Error("a secret not being rotated has a previous value")
	}
}
