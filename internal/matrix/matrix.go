// Command matrix writes the README's conformance tables from `go test -json`
// output, so they show what the suite did, never what someone remembered.
//
//	go test -json ./conformance/ > conformance.json
//	go run ./internal/matrix -in conformance.json README.md          # rewrite
//	go run ./internal/matrix -in conformance.json -check README.md   # fail on drift
//
// A table is generated between a spec comment and an end comment:
//
//	<!-- matrix scenario | TestKafkaStream=Kafka fake | TestPulsarStream=Pulsar fake -->
//	...generated...
//	<!-- end matrix -->
//
// Rows are the direct subtests of the named top-level tests, in the order
// they first ran; a cell is pass, FAIL, or "skip: " and the test's reason.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

func main() {
	in := flag.String("in", "", "go test -json output")
	check := flag.Bool("check", false, "fail if the README's tables differ instead of rewriting it")
	flag.Parse()
	if *in == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: matrix -in TEST.json [-check] README.md")
		os.Exit(2)
	}
	if err := run(*in, flag.Arg(0), *check); err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		os.Exit(1)
	}
}

func run(in, readme string, check bool) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := parse(f)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	out, err := render(old, res)
	if err != nil {
		return err
	}
	if bytes.Equal(old, out) {
		return nil
	}
	if check {
		return fmt.Errorf("%s: conformance tables differ from the test run; run `make matrix` and commit", readme)
	}
	return os.WriteFile(readme, out, 0o644)
}

// event is one line of `go test -json` (test2json).
type event struct {
	Action string
	Test   string
	Output string
}

// outcome is a subtest's result: "pass", "FAIL" or "skip: reason".
type outcome struct{ result, reason string }

// The conformance suite's reason for a missing capability names the
// harness, which the column header already says.
var lacks = regexp.MustCompile(`harness lacks capability (".*")$`)

func (o outcome) String() string {
	if o.result != "skip" || o.reason == "" {
		return o.result
	}
	if m := lacks.FindStringSubmatch(o.reason); m != nil {
		return "skip: lacks " + m[1]
	}
	return "skip: " + o.reason
}

// results maps a top-level test to its direct subtests, in run order.
type results struct {
	order map[string][]string
	cells map[string]map[string]outcome
}

// A line a skip reason is taken from: "    file_test.go:12: reason".
var reasonLine = regexp.MustCompile(`^\s+[\w.-]+\.go:\d+: (.*)$`)

func parse(r io.Reader) (*results, error) {
	res := &results{order: map[string][]string{}, cells: map[string]map[string]outcome{}}
	reasons := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue // build output mixed into the stream
		}
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			return nil, fmt.Errorf("bad test2json line %q: %w", line, err)
		}
		top, sub, ok := strings.Cut(ev.Test, "/")
		if !ok || strings.Contains(sub, "/") {
			continue
		}
		switch ev.Action {
		case "run":
			if res.cells[top] == nil {
				res.cells[top] = map[string]outcome{}
			}
			if _, seen := res.cells[top][sub]; !seen {
				res.order[top] = append(res.order[top], sub)
				res.cells[top][sub] = outcome{result: "running"}
			}
		case "output":
			if m := reasonLine.FindStringSubmatch(strings.TrimRight(ev.Output, "\n")); m != nil && reasons[ev.Test] == "" {
				reasons[ev.Test] = m[1]
			}
		case "pass", "fail", "skip":
			if res.cells[top] == nil {
				continue
			}
			o := outcome{result: ev.Action}
			if ev.Action == "fail" {
				o.result = "FAIL"
			}
			if ev.Action == "skip" {
				o.reason = reasons[ev.Test]
			}
			res.cells[top][sub] = o
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res.cells) == 0 {
		return nil, errors.New("no subtests in the input")
	}
	return res, nil
}

const endMarker = "<!-- end matrix -->"

var specLine = regexp.MustCompile(`(?m)^<!-- matrix (.*) -->\n`)

// render replaces every generated table in doc.
func render(doc []byte, res *results) ([]byte, error) {
	var out bytes.Buffer
	rest := doc
	for {
		loc := specLine.FindSubmatchIndex(rest)
		if loc == nil {
			out.Write(rest)
			return out.Bytes(), nil
		}
		out.Write(rest[:loc[1]])
		spec := string(rest[loc[2]:loc[3]])
		rest = rest[loc[1]:]
		end := bytes.Index(rest, []byte(endMarker))
		if end < 0 {
			return nil, fmt.Errorf("matrix %q has no %s", spec, endMarker)
		}
		table, err := tableFor(spec, res)
		if err != nil {
			return nil, err
		}
		out.WriteString(table)
		rest = rest[end:]
	}
}

// tableFor renders "first-column | TestA=Label A | TestB=Label B".
func tableFor(spec string, res *results) (string, error) {
	parts := strings.Split(spec, "|")
	type column struct{ test, label string }
	var cols []column
	for _, p := range parts[1:] {
		test, label, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return "", fmt.Errorf("matrix column %q: want Test=Label", p)
		}
		if len(res.order[test]) == 0 {
			return "", fmt.Errorf("matrix column %q: %s has no subtests in the input", label, test)
		}
		cols = append(cols, column{test, label})
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("matrix %q names no columns", spec)
	}
	var rows []string
	seen := map[string]bool{}
	for _, c := range cols {
		for _, sub := range res.order[c.test] {
			if !seen[sub] {
				seen[sub] = true
				rows = append(rows, sub)
			}
		}
	}
	var b strings.Builder
	b.WriteString("| " + strings.TrimSpace(parts[0]))
	for _, c := range cols {
		b.WriteString(" | " + c.label)
	}
	b.WriteString(" |\n|---" + strings.Repeat("|---", len(cols)) + "|\n")
	for _, row := range rows {
		b.WriteString("| " + row)
		for _, c := range cols {
			cell := "—"
			if o, ok := res.cells[c.test][row]; ok {
				cell = strings.ReplaceAll(o.String(), "|", `\|`)
			}
			b.WriteString(" | " + cell)
		}
		b.WriteString(" |\n")
	}
	return b.String(), nil
}
