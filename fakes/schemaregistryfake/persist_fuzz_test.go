package schemaregistryfake

import (
	"encoding/json"
	"testing"
)

// A registry.json left in a data dir may be anything: restoring it must
// end in a store or an error, never a panic.
func FuzzRestore(f *testing.F) {
	f.Add([]byte(`{"nextId":3,"level":"BACKWARD","schemas":[{"id":1,"type":"AVRO","text":"\"string\""},{"id":2,"type":"JSON","text":"{}"}],"subjects":{"s":{"versions":[{"num":1,"id":1},{"num":2,"id":2,"deleted":true}]}}}`))
	f.Add([]byte(`{"schemas":[{"id":1,"type":"AVRO","text":"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"T\"}]}","refs":[{"name":"T","subject":"t","version":1}]}],"subjects":{"t":{"versions":[{"num":1,"id":1}]}}}`))
	f.Add([]byte(`{"subjects":{"s":{"versions":[{"num":1,"id":9}]}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var sn snapshot
		if json.Unmarshal(raw, &sn) != nil {
			return
		}
		if st, err := restore(sn); err == nil && st == nil {
			t.Fatal("no store and no error")
		}
	})
}
