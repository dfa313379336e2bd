package schema

import (
	"testing"
	"time"
)

// FuzzParse: any schema text of any type is accepted or refused (42201),
// never a panic or a hang; an accepted one checks against itself.
func FuzzParse(f *testing.F) {
	f.Add(Avro, `{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"]}]}`)
	f.Add(Avro, `"string"`)
	f.Add(JSON, `{"type":"object","properties":{"a":{"type":"integer","maximum":3}},"required":["a"]}`)
	f.Add(Protobuf, "syntax = \"proto3\";\npackage p;\nmessage M { oneof o { string a = 1; } map<string,int32> m = 2; }\n")
	f.Add(Protobuf, "message {")
	f.Fuzz(func(t *testing.T, typ, text string) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			p, err := Parse(Source{Type: typ, Text: text})
			if err == nil {
				_ = Check("FULL_TRANSITIVE", p, []*Parsed{p})
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("parse of %d bytes of %s did not finish", len(text), typ)
		}
	})
}
