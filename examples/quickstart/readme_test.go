package quickstart_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsTheseFiles keeps the README's quickstarts and these files
// one text: each file must appear in the README verbatim as a go block.
func TestREADMEShowsTheseFiles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kafka_test.go", "mqtt_test.go", "pulsar_test.go", "nacos_test.go"} {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```go\n"+string(src)+"```\n") {
			t.Errorf("README.md does not show examples/quickstart/%s verbatim; paste the file into its quickstart block", name)
		}
	}
}
