package schemaregistryfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/hamba/avro/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Schema types, spelled as in the registry's schemaType field.
const (
	typeAvro     = "AVRO"
	typeJSON     = "JSON"
	typeProtobuf = "PROTOBUF"
)

// maxSchemaBytes bounds one schema text; the registry's request limit is of
// the same order and a test never needs more.
const maxSchemaBytes = 1 << 20

// source is one schema text with the texts it references, resolved
// depth-first: what parsing needs, independent of the store.
type source struct {
	typ  string
	text string
	refs []namedSource // references, by the name the schema uses for them
}

type namedSource struct {
	name string
	src  source
}

// parsed is a schema the registry accepted.
type parsed struct {
	typ   string
	avro  avro.Schema
	json  any
	proto protoreflect.FileDescriptor
}

// parse validates src as the registry does on register, lookup and
// compatibility checks: an error here is a 42201.
func parse(src source) (*parsed, error) {
	if strings.TrimSpace(src.text) == "" {
		return nil, errors.New("empty schema")
	}
	if len(src.text) > maxSchemaBytes {
		return nil, fmt.Errorf("schema larger than %d bytes", maxSchemaBytes)
	}
	switch src.typ {
	case typeAvro:
		return parseAvro(src)
	case typeJSON:
		return parseJSON(src)
	case typeProtobuf:
		return parseProto(src)
	}
	return nil, fmt.Errorf("unknown schema type %q", src.typ)
}

func parseAvro(src source) (*parsed, error) {
	cache := &avro.SchemaCache{}
	var walk func(source) (avro.Schema, error)
	walk = func(s source) (avro.Schema, error) {
		for _, r := range s.refs {
			if r.src.typ != typeAvro {
				return nil, fmt.Errorf("reference %q is %s, not AVRO", r.name, r.src.typ)
			}
			if _, err := walk(r.src); err != nil {
				return nil, fmt.Errorf("reference %q: %w", r.name, err)
			}
		}
		return avro.ParseWithCache(s.text, "", cache)
	}
	sch, err := walk(src)
	if err != nil {
		return nil, err
	}
	return &parsed{typ: typeAvro, avro: sch}, nil
}

func parseJSON(src source) (*parsed, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src.text))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	// Referenced schemas resolve by the name the referencing schema uses.
	var add func(source) error
	add = func(s source) error {
		for _, r := range s.refs {
			d, err := jsonschema.UnmarshalJSON(strings.NewReader(r.src.text))
			if err != nil {
				return fmt.Errorf("reference %q: %w", r.name, err)
			}
			if err := c.AddResource(r.name, d); err != nil {
				return fmt.Errorf("reference %q: %w", r.name, err)
			}
			if err := add(r.src); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(src); err != nil {
		return nil, err
	}
	const root = "brokerkit-schema.json"
	if err := c.AddResource(root, doc); err != nil {
		return nil, err
	}
	if _, err := c.Compile(root); err != nil {
		return nil, err
	}
	return &parsed{typ: typeJSON, json: doc}, nil
}

func parseProto(src source) (*parsed, error) {
	files := map[string]string{}
	var add func(source)
	add = func(s source) {
		for _, r := range s.refs {
			if _, ok := files[r.name]; !ok {
				files[r.name] = r.src.text
				add(r.src)
			}
		}
	}
	add(src)
	const root = "brokerkit-schema.proto"
	files[root] = src.text
	var report bytes.Buffer
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(files),
		}),
		Reporter: nil,
	}
	fds, err := c.Compile(context.Background(), root)
	if err != nil {
		_, _ = io.WriteString(&report, err.Error())
		return nil, errors.New(report.String())
	}
	return &parsed{typ: typeProtobuf, proto: fds[0]}, nil
}

// canonical is the text the registry compares to decide "same schema": for
// JSON-based types insignificant whitespace does not count.
func canonical(typ, text string) string {
	if typ == typeProtobuf {
		return strings.TrimSpace(text)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return text
	}
	return b.String()
}
