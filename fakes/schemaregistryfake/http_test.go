package schemaregistryfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
)

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "application/vnd.schemaregistry.v1+json", resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func schemaBody(s string) string {
	b, _ := json.Marshal(map[string]string{"schema": s})
	return string(b)
}

// The registry's status and error_code for each failing request, in order
// against one server.
func TestHTTPErrorCodes(t *testing.T) {
	srv := newServer(t)
	u := srv.URL()
	steps := []struct {
		name, method, path, body string
		status                   int
		want                     string // a JSON fragment of the answer
	}{
		{"register", "POST", "/subjects/s/versions", schemaBody(userV1), 200, `{"id":1}`},
		{"register v2", "POST", "/subjects/s/versions", schemaBody(userV2), 200, `{"id":2}`},
		{"same again", "POST", "/subjects/s/versions", schemaBody(userV1), 200, `{"id":1}`},
		{"no subject", "GET", "/subjects/nope/versions", "", 404, `"error_code":40401`},
		{"no version", "GET", "/subjects/s/versions/7", "", 404, `"error_code":40402`},
		{"bad version", "GET", "/subjects/s/versions/0", "", 422, `"error_code":42202`},
		{"bad version word", "GET", "/subjects/s/versions/first", "", 422, `"error_code":42202`},
		{"latest", "GET", "/subjects/s/versions/latest", "", 200, `"version":2`},
		{"raw schema", "GET", "/subjects/s/versions/1/schema", "", 200, `"name":"User"`},
		{"no schema id", "GET", "/schemas/ids/99", "", 404, `"error_code":40403`},
		{"schema id", "GET", "/schemas/ids/1", "", 200, `"schema":`},
		{"schema id subjects", "GET", "/schemas/ids/1/subjects", "", 200, `["s"]`},
		{"schema id versions", "GET", "/schemas/ids/2/versions", "", 200, `[{"subject":"s","version":2}]`},
		{"types", "GET", "/schemas/types", "", 200, `"PROTOBUF"`},
		{"invalid avro", "POST", "/subjects/s/versions", schemaBody(`{"type":"record"}`), 422, `"error_code":42201`},
		{"empty schema", "POST", "/subjects/s/versions", `{"schema":""}`, 422, `"error_code":42201`},
		{"unknown type", "POST", "/subjects/s/versions", `{"schema":"x","schemaType":"XML"}`, 422, `"error_code":42201`},
		{"malformed body", "POST", "/subjects/s/versions", `{"schema":`, 400, `"error_code":400`},
		{"incompatible", "POST", "/subjects/s/versions", schemaBody(userBad), 409, `"error_code":409`},
		{"compat verbose", "POST", "/compatibility/subjects/s/versions/latest?verbose=true", schemaBody(userBad), 200, `"is_compatible":false`},
		{"compat no subject", "POST", "/compatibility/subjects/nope/versions/latest", schemaBody(userV1), 404, `"error_code":40401`},
		{"lookup", "POST", "/subjects/s", schemaBody(userV2), 200, `"version":2`},
		{"lookup missing", "POST", "/subjects/s", schemaBody(`"string"`), 404, `"error_code":40403`},
		{"config", "GET", "/config", "", 200, `{"compatibilityLevel":"BACKWARD"}`},
		{"bad level", "PUT", "/config", `{"compatibility":"SIDEWAYS"}`, 422, `"error_code":42203`},
		{"subject level unset", "GET", "/config/s", "", 404, `"error_code":40408`},
		{"subject level default", "GET", "/config/s?defaultToGlobal=true", "", 200, `"BACKWARD"`},
		{"set level", "PUT", "/config/s", `{"compatibility":"full_transitive"}`, 200, `{"compatibility":"FULL_TRANSITIVE"}`},
		{"mode", "GET", "/mode", "", 200, `{"mode":"READWRITE"}`},
		{"hard before soft", "DELETE", "/subjects/s/versions/1?permanent=true", "", 404, `"error_code":40407`},
		{"soft version", "DELETE", "/subjects/s/versions/1", "", 200, `1`},
		{"soft again", "DELETE", "/subjects/s/versions/1", "", 404, `"error_code":40406`},
		{"soft deleted hidden", "GET", "/subjects/s/versions", "", 200, `[2]`},
		{"soft deleted listed", "GET", "/subjects/s/versions?deleted=true", "", 200, `[1,2]`},
		{"hard version", "DELETE", "/subjects/s/versions/1?permanent=true", "", 200, `1`},
		{"subject hard first", "DELETE", "/subjects/s?permanent=true", "", 404, `"error_code":40405`},
		{"subject soft", "DELETE", "/subjects/s", "", 200, `[2]`},
		{"subject soft again", "DELETE", "/subjects/s", "", 404, `"error_code":40404`},
		{"subjects hidden", "GET", "/subjects", "", 200, `[]`},
		{"subjects deleted", "GET", "/subjects?deleted=true", "", 200, `["s"]`},
		{"subject hard", "DELETE", "/subjects/s?permanent=true", "", 200, `[2]`},
		{"unknown path", "GET", "/nope", "", 404, `"error_code":404`},
		{"wrong method", "PATCH", "/subjects", "", 405, `"error_code":405`},
	}
	for _, st := range steps {
		status, body := call(t, st.method, u+st.path, st.body)
		require.Equal(t, st.status, status, "%s: %s", st.name, body)
		require.Contains(t, strings.ReplaceAll(body, " ", ""), st.want, st.name)
	}
}

func TestHTTPBasicAuthRequired(t *testing.T) {
	srv := newServer(t, schemaregistryfake.WithUser("u", "p"))
	status, body := call(t, "GET", srv.URL()+"/subjects", "")
	require.Equal(t, 401, status)
	require.Contains(t, body, `"error_code":401`)
}
