// Package schema parses AVRO, JSON Schema and Protobuf schemas and checks
// their compatibility as Confluent Schema Registry does, for
// schemaregistryfake; kept apart so its fuzz target builds without the
// registry client the fake's tests use.
package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/hamba/avro/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Schema types, spelled as in the registry's schemaType field.
const (
	Avro     = "AVRO"
	JSON     = "JSON"
	Protobuf = "PROTOBUF"
)

// MaxBytes bounds one schema text; the registry's request limit is of
// the same order and a test never needs more.
const MaxBytes = 1 << 20

// Source is one schema text with the texts it references, resolved
// depth-first: what parsing needs, independent of the store.
type Source struct {
	Type string
	Text string
	Refs []Named // references, by the name the schema uses for them
}

// Named is a referenced schema and the name the referencing one uses.
type Named struct {
	Name string
	Src  Source
}

// Parsed is a schema the registry accepted.
type Parsed struct {
	Type  string
	avro  avro.Schema
	json  any
	proto protoreflect.FileDescriptor
}

// Parse validates src as the registry does on register, lookup and
// compatibility checks: an error here is a 42201.
func Parse(src Source) (*Parsed, error) {
	if strings.TrimSpace(src.Text) == "" {
		return nil, errors.New("empty schema")
	}
	if len(src.Text) > MaxBytes {
		return nil, fmt.Errorf("schema larger than %d bytes", MaxBytes)
	}
	switch src.Type {
	case Avro:
		return parseAvro(src)
	case JSON:
		return parseJSON(src)
	case Protobuf:
		return parseProto(src)
	}
	return nil, fmt.Errorf("unknown schema type %q", src.Type)
}

func parseAvro(src Source) (*Parsed, error) {
	cache := &avro.SchemaCache{}
	var walk func(Source) (avro.Schema, error)
	walk = func(s Source) (avro.Schema, error) {
		for _, r := range s.Refs {
			if r.Src.Type != Avro {
				return nil, fmt.Errorf("reference %q is %s, not AVRO", r.Name, r.Src.Type)
			}
			if _, err := walk(r.Src); err != nil {
				return nil, fmt.Errorf("reference %q: %w", r.Name, err)
			}
		}
		return avro.ParseWithCache(s.Text, "", cache)
	}
	sch, err := walk(src)
	if err != nil {
		return nil, err
	}
	return &Parsed{Type: Avro, avro: sch}, nil
}

func parseJSON(src Source) (*Parsed, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src.Text))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	// Referenced schemas resolve by the name the referencing schema uses.
	var add func(Source) error
	add = func(s Source) error {
		for _, r := range s.Refs {
			d, err := jsonschema.UnmarshalJSON(strings.NewReader(r.Src.Text))
			if err != nil {
				return fmt.Errorf("reference %q: %w", r.Name, err)
			}
			if err := c.AddResource(r.Name, d); err != nil {
				return fmt.Errorf("reference %q: %w", r.Name, err)
			}
			if err := add(r.Src); err != nil {
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
	return &Parsed{Type: JSON, json: doc}, nil
}

func parseProto(src Source) (*Parsed, error) {
	files := map[string]string{}
	var add func(Source)
	add = func(s Source) {
		for _, r := range s.Refs {
			if _, ok := files[r.Name]; !ok {
				files[r.Name] = r.Src.Text
				add(r.Src)
			}
		}
	}
	add(src)
	const root = "brokerkit-schema.proto"
	files[root] = src.Text
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			Accessor: protocompile.SourceAccessorFromMap(files),
		}),
	}
	fds, err := c.Compile(context.Background(), root)
	if err != nil {
		return nil, err
	}
	return &Parsed{Type: Protobuf, proto: fds[0]}, nil
}

// Canonical is the text the registry compares to decide "same schema": for
// JSON-based types insignificant whitespace does not count.
func Canonical(typ, text string) string {
	if typ == Protobuf {
		return strings.TrimSpace(text)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return text
	}
	return b.String()
}
