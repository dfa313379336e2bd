package pulsarfake

import (
	"encoding/binary"
	"net/http"
	"strconv"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
)

var schemaTypeNames = map[wire.Schema_Type]string{
	wire.Schema_None: "NONE", wire.Schema_String: "STRING", wire.Schema_Json: "JSON", wire.Schema_Protobuf: "PROTOBUF",
	wire.Schema_Avro: "AVRO", wire.Schema_Bool: "BOOLEAN", wire.Schema_Int8: "INT8", wire.Schema_Int16: "INT16",
	wire.Schema_Int32: "INT32", wire.Schema_Int64: "INT64", wire.Schema_Float: "FLOAT", wire.Schema_Double: "DOUBLE",
	wire.Schema_Date: "DATE", wire.Schema_Time: "TIME", wire.Schema_Timestamp: "TIMESTAMP",
	wire.Schema_KeyValue: "KEY_VALUE", wire.Schema_Instant: "INSTANT", wire.Schema_LocalDate: "LOCAL_DATE",
	wire.Schema_LocalTime: "LOCAL_TIME", wire.Schema_LocalDateTime: "LOCAL_DATE_TIME",
	wire.Schema_ProtobufNative: "PROTOBUF_NATIVE",
}

// schemaTopic is the topic of a /admin/v2/schemas route.
func schemaTopic(r *http.Request) (topicName, error) {
	name, err := parseTopic("persistent://" + namespaceParam(r) + "/" + param(r, "topic"))
	if err != nil {
		return name, herr(http.StatusPreconditionFailed, "%v", err)
	}
	return name, nil
}

// adminGetSchema answers the latest schema, or the version the path names.
func (s *Server) adminGetSchema(r *http.Request) (any, error) {
	name, err := schemaTopic(r)
	if err != nil {
		return nil, err
	}
	versions := s.schemaVersions(name.Base)
	if len(versions) == 0 {
		return nil, herr(http.StatusNotFound, "Schema not found")
	}
	v := len(versions) - 1
	if ver := param(r, "version"); ver != "" {
		n, err := strconv.Atoi(ver)
		if err != nil || n < 0 || n >= len(versions) {
			return nil, herr(http.StatusNotFound, "Schema not found")
		}
		v = n
	}
	return s.schemaJSON(name.Base, v, versions[v]), nil
}

func (s *Server) adminPostSchema(r *http.Request) (any, error) {
	name, sc, err := postedSchema(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	ver, err := s.addSchemaLocked(name.Base, sc)
	s.mu.Unlock()
	if err != nil {
		return nil, herr(http.StatusConflict, "%v", err)
	}
	return map[string]int64{"version": int64(binary.BigEndian.Uint64(ver))}, nil
}

func (s *Server) adminDeleteSchema(r *http.Request) (any, error) {
	name, err := schemaTopic(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.schemas, name.Base)
	s.logSchemaLocked(name.Base)
	s.mu.Unlock()
	s.policies.delPrefix(name.Base, "schemaTimestamp:")
	return map[string]int64{"version": 0}, nil
}
