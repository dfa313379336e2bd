package main

import (
	"strings"
	"testing"
)

const stream = `{"Action":"start","Package":"p"}
{"Action":"run","Test":"TestA"}
{"Action":"run","Test":"TestA/One"}
{"Action":"pass","Test":"TestA/One"}
{"Action":"run","Test":"TestA/Two"}
{"Action":"output","Test":"TestA/Two","Output":"=== RUN   TestA/Two\n"}
{"Action":"output","Test":"TestA/Two","Output":"    stream.go:88: no keys | here\n"}
{"Action":"skip","Test":"TestA/Two"}
{"Action":"run","Test":"TestA/Two/deeper"}
{"Action":"pass","Test":"TestA/Two/deeper"}
{"Action":"pass","Test":"TestA"}
{"Action":"run","Test":"TestB/One"}
{"Action":"fail","Test":"TestB/One"}
{"Action":"run","Test":"TestB/Four"}
{"Action":"output","Test":"TestB/Four","Output":"    stream.go:99: mqtt/paho (fake) harness lacks capability \"keys\"\n"}
{"Action":"skip","Test":"TestB/Four"}
{"Action":"run","Test":"TestB/Three"}
{"Action":"pass","Test":"TestB/Three"}
`

func TestRenderReplacesOnlyTheTable(t *testing.T) {
	res, err := parse(strings.NewReader("# build noise\n" + stream))
	if err != nil {
		t.Fatal(err)
	}
	doc := "intro\n<!-- matrix scenario | TestA=A fake | TestB=B fake -->\nstale\n<!-- end matrix -->\noutro\n"
	out, err := render([]byte(doc), res)
	if err != nil {
		t.Fatal(err)
	}
	want := "intro\n<!-- matrix scenario | TestA=A fake | TestB=B fake -->\n" +
		"| scenario | A fake | B fake |\n|---|---|---|\n" +
		"| One | pass | FAIL |\n" +
		"| Two | skip: no keys \\| here | — |\n" +
		"| Four | — | skip: lacks \"keys\" |\n" +
		"| Three | — | pass |\n" +
		"<!-- end matrix -->\noutro\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	again, err := render(out, res)
	if err != nil || string(again) != want {
		t.Fatalf("rendering twice changed the document (%v):\n%s", err, again)
	}
}

func TestRenderRefusesUnknownTestsAndOpenBlocks(t *testing.T) {
	res, err := parse(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		"<!-- matrix s | TestMissing=X -->\n<!-- end matrix -->\n",
		"<!-- matrix s | TestA=A -->\nno end\n",
		"<!-- matrix s | TestA -->\n<!-- end matrix -->\n",
	} {
		if _, err := render([]byte(doc), res); err == nil {
			t.Errorf("render(%q) succeeded", doc)
		}
	}
	if _, err := parse(strings.NewReader("{not json\n")); err == nil {
		t.Error("a broken JSON line parsed")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(stream))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := parse(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		for top := range res.order {
			if _, err := render([]byte("<!-- matrix s | "+top+"=X -->\n<!-- end matrix -->\n"), res); err != nil && !strings.Contains(top, "|") && !strings.Contains(top, "=") && !strings.Contains(top, "\n") && strings.TrimSpace(top) == top {
				t.Fatalf("render of a parsed test %q: %v", top, err)
			}
		}
	})
}
