package nacosfake

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"testing"
)

func FuzzPayloadDecode(f *testing.F) {
	f.Add((&payload{Type: "ConfigQueryRequest", ClientIP: "10.0.0.1", Headers: map[string]string{"accessToken": "t"}, Body: []byte(`{"dataId":"a"}`)}).marshal())
	f.Add((&payload{}).marshal())
	f.Add([]byte{0x12, 0x02, 0x1a, 0x00})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x12, 0x80, 0x80, 0x80, 0x80, 0x10})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p payload
		if err := p.unmarshal(b); err != nil {
			return
		}
		// Whatever decodes must survive a round trip unchanged.
		var q payload
		if err := q.unmarshal(p.marshal()); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if p.Type != q.Type || p.ClientIP != q.ClientIP || !bytes.Equal(p.Body, q.Body) || len(p.Headers) != len(q.Headers) {
			t.Fatalf("round trip changed payload: %+v vs %+v", p, q)
		}
		for k, v := range p.Headers {
			if q.Headers[k] != v {
				t.Fatalf("header %q: %q vs %q", k, v, q.Headers[k])
			}
		}
	})
}

func FuzzListeningConfigs(f *testing.F) {
	f.Add("a\x02G\x02md5\x01")
	f.Add("a\x02G\x02\x02tenant\x01b\x02G\x02x\x01")
	f.Add("\x01\x01\x02")
	f.Fuzz(func(t *testing.T, s string) {
		probes, ok := parseProbe(s)
		if ok && len(probes) == 0 {
			t.Fatal("ok with no probes")
		}
	})
}

// FuzzHandleRequest feeds arbitrary JSON bodies to every request handler:
// whatever arrives, the answer is a typed response or an ErrorResponse.
func FuzzHandleRequest(f *testing.F) {
	s, err := New()
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	c := s.newConn(nil)
	c.setupOnce.Do(func() { close(c.setup) })
	ctx := context.WithValue(context.Background(), connCtxKey{}, c)
	var types []string
	for typ := range rpcHandlers {
		types = append(types, typ)
	}
	sort.Strings(types)
	f.Add(uint8(0), []byte(`{"dataId":"a","group":"G","content":"x"}`))
	f.Add(uint8(3), []byte(`{"type":"registerInstance","serviceName":"s","instance":{"ip":"1.2.3.4","port":1}}`))
	f.Add(uint8(5), []byte(`{"type":"batchRegisterInstance","serviceName":"s","instances":[{"ip":"1","clusterName":"a b"}]}`))
	f.Add(uint8(7), []byte(`{"listen":true,"configListenContexts":[{"dataId":"a","group":"G"}]}`))
	f.Add(uint8(9), []byte(`{"pageNo":-1,"pageSize":99999999}`))
	f.Add(uint8(1), []byte(`null`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		typ := types[int(which)%len(types)]
		p := s.handleRequest(ctx, &payload{Type: typ, Body: body})
		if p == nil || p.Type == "" || !json.Valid(p.Body) {
			t.Fatalf("%s: bad reply %+v", typ, p)
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add(`{"a":"1"}`)
	f.Add("a=1,b=2")
	f.Add("a=1,,=")
	f.Add(`{"a":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		md, err := parseMetadata(s)
		if err != nil && md != nil {
			t.Fatalf("error with metadata %v", md)
		}
	})
}
