package schemaregistryfake_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
)

const other = `{"type":"record","name":"Other","fields":[{"name":"x","type":"long"}]}`

// A server on the same data dir starts where the last one stopped: ids,
// versions, soft deletes, levels, and the next id.
func TestDataDirKeepsTheRegistry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sr")
	srv, err := schemaregistryfake.New(schemaregistryfake.WithDataDir(dir))
	require.NoError(t, err)
	first := srv
	t.Cleanup(func() { first.Close() }) // a no-op after the Close below; closes it if an assertion stops the test first
	u := srv.URL()
	code, body := call(t, "POST", u+"/subjects/s/versions", schemaBody(userV1))
	require.Equal(t, 200, code, body)
	code, body = call(t, "POST", u+"/subjects/s/versions", schemaBody(userV2))
	require.Equal(t, 200, code, body)
	code, _ = call(t, "PUT", u+"/config/s", `{"compatibility":"NONE"}`)
	require.Equal(t, 200, code)
	code, _ = call(t, "DELETE", u+"/subjects/s/versions/1", "")
	require.Equal(t, 200, code)

	_, err = schemaregistryfake.New(schemaregistryfake.WithDataDir(dir))
	require.Error(t, err, "the dir is locked while the first server runs")
	require.NoError(t, srv.Close())

	srv = newServer(t, schemaregistryfake.WithDataDir(dir))
	u = srv.URL()
	code, body = call(t, "GET", u+"/subjects/s/versions", "")
	require.Equal(t, 200, code)
	require.JSONEq(t, `[2]`, body)
	_, body = call(t, "GET", u+"/subjects/s/versions?deleted=true", "")
	require.JSONEq(t, `[1,2]`, body)
	_, body = call(t, "GET", u+"/config/s", "")
	require.JSONEq(t, `{"compatibilityLevel":"NONE"}`, body)
	_, body = call(t, "GET", u+"/schemas/ids/2", "")
	var got struct{ Schema string }
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.JSONEq(t, userV2, got.Schema)
	_, body = call(t, "POST", u+"/subjects/s/versions", schemaBody(userV2))
	require.JSONEq(t, `{"id":2}`, body, "the same schema keeps its id")
	_, body = call(t, "POST", u+"/subjects/t/versions", schemaBody(other))
	require.JSONEq(t, `{"id":3}`, body, "ids go on from where they were")
}

func TestDataDirUnreadableSnapshotIsAnError(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "registry.json"), []byte("{not json"), 0o644))
	_, err := schemaregistryfake.New(schemaregistryfake.WithDataDir(dir))
	require.ErrorContains(t, err, "registry.json")
}
