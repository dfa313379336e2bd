package nacosfake

import (
	"errors"
	"fmt"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"
)

// payload is Nacos' gRPC envelope (api/proto/nacos_grpc_service.proto):
//
//	Payload  { Metadata metadata = 2; google.protobuf.Any body = 3; }
//	Metadata { string type = 3; map<string,string> headers = 7; string clientIp = 8; }
//	Any      { string type_url = 1; bytes value = 2; }
//
// It is hand-coded with protowire because importing the SDK's generated
// messages a second time panics in the protobuf registry.
type payload struct {
	Type     string
	Headers  map[string]string
	ClientIP string
	Body     []byte // Any.value: the JSON request or response
}

// maxPayloadFields bounds decoding work on hostile input.
const maxPayloadFields = 1 << 16

var errMalformed = errors.New("nacosfake: malformed payload")

func (p *payload) marshal() []byte {
	var md []byte
	if p.Type != "" {
		md = protowire.AppendTag(md, 3, protowire.BytesType)
		md = protowire.AppendString(md, p.Type)
	}
	keys := make([]string, 0, len(p.Headers))
	for k := range p.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic output helps tests and fuzzing
	for _, k := range keys {
		var e []byte
		e = protowire.AppendTag(e, 1, protowire.BytesType)
		e = protowire.AppendString(e, k)
		e = protowire.AppendTag(e, 2, protowire.BytesType)
		e = protowire.AppendString(e, p.Headers[k])
		md = protowire.AppendTag(md, 7, protowire.BytesType)
		md = protowire.AppendBytes(md, e)
	}
	if p.ClientIP != "" {
		md = protowire.AppendTag(md, 8, protowire.BytesType)
		md = protowire.AppendString(md, p.ClientIP)
	}
	var b []byte
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, md)
	var anyMsg []byte
	anyMsg = protowire.AppendTag(anyMsg, 2, protowire.BytesType)
	anyMsg = protowire.AppendBytes(anyMsg, p.Body)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, anyMsg)
	return b
}

func (p *payload) unmarshal(b []byte) error {
	*p = payload{}
	return eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		switch {
		case num == 2 && typ == protowire.BytesType:
			return p.unmarshalMetadata(v)
		case num == 3 && typ == protowire.BytesType:
			return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if num == 2 && typ == protowire.BytesType {
					p.Body = append([]byte(nil), v...)
				}
				return nil
			})
		}
		return nil
	})
}

func (p *payload) unmarshalMetadata(b []byte) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, v []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 3:
			p.Type = string(v)
		case 8:
			p.ClientIP = string(v)
		case 7:
			var k, val string
			err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte) error {
				if typ == protowire.BytesType && num == 1 {
					k = string(v)
				} else if typ == protowire.BytesType && num == 2 {
					val = string(v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if p.Headers == nil {
				p.Headers = map[string]string{}
			}
			p.Headers[k] = val
		}
		return nil
	})
}

// eachField walks one message level, calling fn with the raw bytes of
// length-delimited fields (nil for other wire types, which are skipped).
func eachField(b []byte, fn func(protowire.Number, protowire.Type, []byte) error) error {
	for n := 0; len(b) > 0; n++ {
		if n >= maxPayloadFields {
			return fmt.Errorf("%w: too many fields", errMalformed)
		}
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return fmt.Errorf("%w: %v", errMalformed, protowire.ParseError(l))
		}
		b = b[l:]
		var v []byte
		if typ == protowire.BytesType {
			v, l = protowire.ConsumeBytes(b)
		} else {
			l = protowire.ConsumeFieldValue(num, typ, b)
		}
		if l < 0 {
			return fmt.Errorf("%w: %v", errMalformed, protowire.ParseError(l))
		}
		b = b[l:]
		if err := fn(num, typ, v); err != nil {
			return err
		}
	}
	return nil
}

// rawCodec is the grpc encoding.Codec forced on the server: it moves
// *payload values and nothing else.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	p, ok := v.(*payload)
	if !ok {
		return nil, fmt.Errorf("nacosfake: cannot marshal %T", v)
	}
	return p.marshal(), nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*payload)
	if !ok {
		return fmt.Errorf("nacosfake: cannot unmarshal into %T", v)
	}
	return p.unmarshal(data)
}
