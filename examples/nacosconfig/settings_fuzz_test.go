package nacosconfig_test

import (
	"testing"

	"github.com/brokerkit/brokerkit/examples/nacosconfig"
)

// Settings come from whoever can write to Nacos: any text must parse or
// fail cleanly, and a parsed result must be usable.
func FuzzParseSettings(f *testing.F) {
	for _, seed := range []string{"", "greeting=Hi\nmax_items=3\n", "# c\n\nmax_items=0", "x", "max_items=99999999999999999999", "greeting==\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := nacosconfig.ParseSettings(text)
		if err == nil && s.MaxItems <= 0 {
			t.Fatalf("accepted max_items %d", s.MaxItems)
		}
	})
}
