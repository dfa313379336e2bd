package schemaregistryfake_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/rest"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
)

const (
	userV1 = `{"type":"record","name":"User","namespace":"t","fields":[{"name":"name","type":"string"}]}`
	// v2 adds a field with a default: BACKWARD compatible.
	userV2 = `{"type":"record","name":"User","namespace":"t","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}`
	// v3 adds a field without a default: new readers cannot read old data.
	userBad = `{"type":"record","name":"User","namespace":"t","fields":[{"name":"name","type":"string"},{"name":"email","type":"string"}]}`
)

func newServer(t *testing.T, opts ...schemaregistryfake.Option) *schemaregistryfake.Server {
	t.Helper()
	srv, err := schemaregistryfake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

func newClient(t *testing.T, cfg *schemaregistry.Config) schemaregistry.Client {
	t.Helper()
	c, err := schemaregistry.NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func restCode(t *testing.T, err error) int {
	t.Helper()
	var re *rest.Error
	require.True(t, errors.As(err, &re), "want a registry error, got %v", err)
	return re.Code
}

func TestConfluentClientLifecycle(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, schemaregistry.NewConfig(srv.URL()))

	id1, err := c.Register("users-value", schemaregistry.SchemaInfo{Schema: userV1}, false)
	require.NoError(t, err)
	again, err := c.Register("users-value", schemaregistry.SchemaInfo{Schema: userV1}, false)
	require.NoError(t, err)
	require.Equal(t, id1, again, "same schema, same id")

	// The same schema in another subject keeps its global id.
	c2 := newClient(t, schemaregistry.NewConfig(srv.URL()))
	other, err := c2.Register("other-value", schemaregistry.SchemaInfo{Schema: userV1}, false)
	require.NoError(t, err)
	require.Equal(t, id1, other)

	ok, err := c.TestCompatibility("users-value", -1, schemaregistry.SchemaInfo{Schema: userV2})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = c.TestCompatibility("users-value", -1, schemaregistry.SchemaInfo{Schema: userBad})
	require.NoError(t, err)
	require.False(t, ok)

	id2, err := c.Register("users-value", schemaregistry.SchemaInfo{Schema: userV2}, false)
	require.NoError(t, err)
	require.NotEqual(t, id1, id2)
	_, err = c.Register("users-value", schemaregistry.SchemaInfo{Schema: userBad}, false)
	require.Equal(t, 409, restCode(t, err))

	md, err := c.GetLatestSchemaMetadata("users-value")
	require.NoError(t, err)
	require.Equal(t, 2, md.Version)
	require.Equal(t, id2, md.ID)
	require.JSONEq(t, userV2, md.Schema)

	info, err := c.GetBySubjectAndID("", id1)
	require.NoError(t, err)
	require.JSONEq(t, userV1, info.Schema)

	vers, err := c.GetAllVersions("users-value")
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, vers)
	subs, err := c.GetAllSubjects()
	require.NoError(t, err)
	require.Equal(t, []string{"other-value", "users-value"}, subs)

	v, err := c.GetVersion("users-value", schemaregistry.SchemaInfo{Schema: userV1}, false)
	require.NoError(t, err)
	require.Equal(t, 1, v)

	pairs, err := c.GetSubjectsAndVersionsByID(id1)
	require.NoError(t, err)
	require.ElementsMatch(t, []schemaregistry.SubjectAndVersion{{Subject: "other-value", Version: 1}, {Subject: "users-value", Version: 1}}, pairs)

	// Config: global default BACKWARD, per-subject override.
	lvl, err := c.GetDefaultCompatibility()
	require.NoError(t, err)
	require.Equal(t, "BACKWARD", lvl.String())
	_, err = c.UpdateCompatibility("users-value", schemaregistry.None)
	require.NoError(t, err)
	lvl, err = c.GetCompatibility("users-value")
	require.NoError(t, err)
	require.Equal(t, "NONE", lvl.String())
	_, err = c.Register("users-value", schemaregistry.SchemaInfo{Schema: userBad}, false)
	require.NoError(t, err, "NONE accepts any change")

	// Deletes: permanent only after soft.
	_, err = c.DeleteSubject("users-value", true)
	require.Equal(t, 40405, restCode(t, err))
	deleted, err := c.DeleteSubject("users-value", false)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, deleted)
	_, err = c.GetAllVersions("users-value")
	require.Equal(t, 40401, restCode(t, err))
	_, err = c.DeleteSubject("users-value", false)
	require.Equal(t, 40404, restCode(t, err))
	_, err = c.DeleteSubject("users-value", true)
	require.NoError(t, err)
	subs, err = c.GetAllSubjects()
	require.NoError(t, err)
	require.Equal(t, []string{"other-value"}, subs)

	_, err = c2.GetBySubjectAndID("", 9999)
	require.Equal(t, 40403, restCode(t, err))
}

func TestConfluentClientBasicAuth(t *testing.T) {
	srv := newServer(t, schemaregistryfake.WithUser("alice", "s3cret"))

	cfg := schemaregistry.NewConfigWithBasicAuthentication(srv.URL(), "alice", "s3cret")
	c := newClient(t, cfg)
	_, err := c.Register("a-value", schemaregistry.SchemaInfo{Schema: userV1}, false)
	require.NoError(t, err)

	bad := newClient(t, schemaregistry.NewConfigWithBasicAuthentication(srv.URL(), "alice", "wrong"))
	_, err = bad.GetAllSubjects()
	require.Equal(t, http.StatusUnauthorized, restCode(t, err))
}

func TestConfluentClientJSONAndProtobuf(t *testing.T) {
	srv := newServer(t)
	c := newClient(t, schemaregistry.NewConfig(srv.URL()))

	js := `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`
	_, err := c.Register("j-value", schemaregistry.SchemaInfo{Schema: js, SchemaType: "JSON"}, false)
	require.NoError(t, err)
	// A required property added: old data lacks it.
	jsReq := `{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["b"],"additionalProperties":false}`
	_, err = c.Register("j-value", schemaregistry.SchemaInfo{Schema: jsReq, SchemaType: "JSON"}, false)
	require.Equal(t, 409, restCode(t, err))
	_, err = c.Register("j-value", schemaregistry.SchemaInfo{Schema: `{"type":"nope"}`, SchemaType: "JSON"}, false)
	require.Equal(t, 42201, restCode(t, err))

	base := "syntax = \"proto3\";\npackage t;\nmessage M { string a = 1; int32 b = 2; }\n"
	_, err = c.Register("p-value", schemaregistry.SchemaInfo{Schema: base, SchemaType: "PROTOBUF"}, false)
	require.NoError(t, err)
	widened := "syntax = \"proto3\";\npackage t;\nmessage M { string a = 1; int64 b = 2; string c = 3; }\n"
	_, err = c.Register("p-value", schemaregistry.SchemaInfo{Schema: widened, SchemaType: "PROTOBUF"}, false)
	require.NoError(t, err, "int32→int64 and a new field are compatible")
	changed := "syntax = \"proto3\";\npackage t;\nmessage M { string a = 1; string b = 2; string c = 3; }\n"
	_, err = c.Register("p-value", schemaregistry.SchemaInfo{Schema: changed, SchemaType: "PROTOBUF"}, false)
	require.Equal(t, 409, restCode(t, err))
	_, err = c.Register("p-value", schemaregistry.SchemaInfo{Schema: "message {", SchemaType: "PROTOBUF"}, false)
	require.Equal(t, 42201, restCode(t, err))

	// A reference: the importing schema resolves through the registry.
	_, err = c.Register("dep.proto", schemaregistry.SchemaInfo{Schema: "syntax = \"proto3\";\npackage dep;\nmessage D { string x = 1; }\n", SchemaType: "PROTOBUF"}, false)
	require.NoError(t, err)
	withRef := schemaregistry.SchemaInfo{
		Schema:     "syntax = \"proto3\";\npackage t;\nimport \"dep.proto\";\nmessage W { dep.D d = 1; }\n",
		SchemaType: "PROTOBUF",
		References: []schemaregistry.Reference{{Name: "dep.proto", Subject: "dep.proto", Version: 1}},
	}
	id, err := c.Register("w-value", withRef, false)
	require.NoError(t, err)
	got, err := c.GetBySubjectAndID("", id)
	require.NoError(t, err)
	require.Equal(t, withRef.References, got.References)
	_, err = c.DeleteSubject("dep.proto", false)
	require.Equal(t, 42206, restCode(t, err), "a referenced schema cannot be deleted")
}
