package pulsarfake

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

// schemaLog is the schema history of a topic (all partitions share it).
type schemaLog struct {
	versions []*wire.Schema
}

func versionBytes(v int) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(v))
	return b
}

// isBytesSchema reports whether s means "no schema": the client sends
// type None for its default BYTES schema.
func isBytesSchema(s *wire.Schema) bool {
	return s.GetType() == wire.Schema_None && len(s.GetSchemaData()) == 0
}

// schemaForProducer registers s for the topic unless an identical version
// exists, after checking compatibility with the latest version, and
// returns its version. A BYTES producer is always accepted.
func (srv *Server) schemaForProducer(base string, s *wire.Schema) ([]byte, error) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if isBytesSchema(s) {
		// The broker registers the NONE schema the Go client sends for
		// BYTES like any other (its messages then carry a version that
		// GET_SCHEMA answers); on a topic that already has a typed schema
		// the fake lets the producer in without one.
		if log := srv.schemas[base]; log != nil && len(log.versions) > 0 && !isBytesSchema(log.versions[len(log.versions)-1]) {
			return nil, nil
		}
	}
	return srv.addSchemaLocked(base, s)
}

func (srv *Server) addSchemaLocked(base string, s *wire.Schema) ([]byte, error) {
	log := srv.schemas[base]
	if log == nil {
		log = &schemaLog{}
		srv.schemas[base] = log
	}
	for i, v := range log.versions {
		if v.GetType() == s.GetType() && bytes.Equal(v.GetSchemaData(), s.GetSchemaData()) {
			return versionBytes(i), nil
		}
	}
	if n := len(log.versions); n > 0 {
		if err := checkCompatible(log.versions[n-1], s); err != nil {
			return nil, err
		}
	}
	log.versions = append(log.versions, proto.Clone(s).(*wire.Schema))
	srv.logSchemaLocked(base)
	return versionBytes(len(log.versions) - 1), nil
}

// schemaForConsumer checks a consumer's schema: registered when the topic
// has none yet, otherwise it must be compatible with the latest version.
func (srv *Server) schemaForConsumer(base string, s *wire.Schema) error {
	if isBytesSchema(s) {
		return nil
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	_, err := srv.addSchemaLocked(base, s)
	return err
}

// checkCompatible applies the broker's default strategy (FULL): the type
// must not change, and Avro/JSON record schemas may only add or remove
// fields that have defaults, without changing the type of a kept field.
func checkCompatible(old, s *wire.Schema) error {
	if old.GetType() != s.GetType() {
		return errorf(IncompatibleSchema, "Incompatible schema: exists schema type %v, new schema type %v", old.GetType(), s.GetType())
	}
	if t := s.GetType(); t != wire.Schema_Avro && t != wire.Schema_Json {
		return nil
	}
	a, errA := parseRecord(old.GetSchemaData())
	b, errB := parseRecord(s.GetSchemaData())
	if errA != nil || errB != nil {
		return errorf(IncompatibleSchema, "Incompatible schema: invalid schema definition")
	}
	for name, f := range b {
		o, ok := a[name]
		if !ok {
			if !f.hasDefault {
				return errorf(IncompatibleSchema, "Incompatible schema: new field %q has no default value", name)
			}
			continue
		}
		if !bytes.Equal(o.typ, f.typ) {
			return errorf(IncompatibleSchema, "Incompatible schema: field %q changed type from %s to %s", name, o.typ, f.typ)
		}
	}
	for name, f := range a {
		if _, ok := b[name]; !ok && !f.hasDefault {
			return errorf(IncompatibleSchema, "Incompatible schema: removed field %q has no default value", name)
		}
	}
	return nil
}

type recordField struct {
	typ        json.RawMessage
	hasDefault bool
}

func parseRecord(data []byte) (map[string]recordField, error) {
	var rec struct {
		Type   string `json:"type"`
		Fields []struct {
			Name    string          `json:"name"`
			Type    json.RawMessage `json:"type"`
			Default json.RawMessage `json:"default"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	if rec.Type != "record" {
		return nil, fmt.Errorf("not a record schema")
	}
	out := map[string]recordField{}
	for _, f := range rec.Fields {
		var norm any
		json.Unmarshal(f.Type, &norm)
		typ, _ := json.Marshal(norm)
		out[f.Name] = recordField{typ: typ, hasDefault: f.Default != nil}
	}
	return out, nil
}

func (c *conn) handleGetSchema(cmd *wire.CommandGetSchema) bool {
	resp := &wire.CommandGetSchemaResponse{RequestId: proto.Uint64(cmd.GetRequestId())}
	name, err := parseTopic(cmd.GetTopic())
	var found *wire.Schema
	var version int
	if err == nil {
		c.s.mu.Lock()
		if log := c.s.schemas[name.Base]; log != nil && len(log.versions) > 0 {
			version = len(log.versions) - 1
			if v := cmd.GetSchemaVersion(); len(v) == 8 {
				version = int(binary.BigEndian.Uint64(v))
			}
			if version >= 0 && version < len(log.versions) {
				found = log.versions[version]
			}
		}
		c.s.mu.Unlock()
	}
	if found == nil {
		resp.ErrorCode, resp.ErrorMessage = TopicNotFound.pb(), proto.String("Topic not found or no-schema")
	} else {
		resp.Schema = found
		resp.SchemaVersion = versionBytes(version)
	}
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_GET_SCHEMA_RESPONSE.Enum(), GetSchemaResponse: resp})
	return true
}

func (c *conn) handleGetOrCreateSchema(cmd *wire.CommandGetOrCreateSchema) bool {
	resp := &wire.CommandGetOrCreateSchemaResponse{RequestId: proto.Uint64(cmd.GetRequestId())}
	name, err := parseTopic(cmd.GetTopic())
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = InvalidTopicName.pb(), proto.String(err.Error())
	} else if v, err := c.s.schemaForProducer(name.Base, cmd.Schema); err != nil {
		be := err.(*brokerError)
		resp.ErrorCode, resp.ErrorMessage = be.code.pb(), proto.String(be.msg)
	} else {
		resp.SchemaVersion = v
		if v == nil {
			resp.SchemaVersion = []byte{}
		}
	}
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_GET_OR_CREATE_SCHEMA_RESPONSE.Enum(), GetOrCreateSchemaResponse: resp})
	return true
}
