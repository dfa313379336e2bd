// Package nacosconfig is an example service that keeps its settings in
// Nacos: it loads them at start, reloads them when they change (keeping the
// last good settings when an update is invalid), and registers itself for
// discovery while it runs. Its tests use nacostest, the way a downstream
// repository would.
package nacosconfig

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Settings are the service's tunables, stored in Nacos as properties:
//
//	greeting=Hello
//	max_items=10
type Settings struct {
	Greeting string
	MaxItems int
}

// ParseSettings reads properties text. Unknown keys are ignored so that
// newer settings do not break older instances; a bad value is an error.
func ParseSettings(text string) (Settings, error) {
	s := Settings{Greeting: "Hello", MaxItems: 10}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Settings{}, fmt.Errorf("line %d: want key=value, got %q", n, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "greeting":
			s.Greeting = v
		case "max_items":
			i, err := strconv.Atoi(v)
			if err != nil || i <= 0 {
				return Settings{}, fmt.Errorf("line %d: max_items must be a positive integer, got %q", n, v)
			}
			s.MaxItems = i
		}
	}
	return s, sc.Err()
}
