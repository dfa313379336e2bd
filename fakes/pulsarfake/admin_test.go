package pulsarfake_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

func newAdmin(t *testing.T, srv *pulsarfake.Server) pulsaradmin.Client {
	adm, err := pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: srv.AdminURL()})
	require.NoError(t, err)
	return adm
}

func adminCode(err error) int {
	if e, ok := err.(rest.Error); ok {
		return e.Code
	}
	return 0
}

func TestAdminTenantsNamespacesTopics(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)

	clusters, err := adm.Clusters().List()
	require.NoError(t, err)
	require.Equal(t, []string{"standalone"}, clusters)

	require.NoError(t, adm.Tenants().Create(utils.TenantData{Name: "acme", AllowedClusters: []string{"standalone"}}))
	require.Equal(t, 409, adminCode(adm.Tenants().Create(utils.TenantData{Name: "acme"})))
	tenants, err := adm.Tenants().List()
	require.NoError(t, err)
	require.Contains(t, tenants, "acme")

	require.NoError(t, adm.Namespaces().CreateNamespace("acme/orders"))
	nss, err := adm.Namespaces().GetNamespaces("acme")
	require.NoError(t, err)
	require.Equal(t, []string{"acme/orders"}, nss)
	require.Equal(t, 404, adminCode(adm.Namespaces().CreateNamespace("nobody/x")))

	parted, _ := utils.GetTopicName("persistent://acme/orders/parted")
	plain, _ := utils.GetTopicName("persistent://acme/orders/plain")
	require.NoError(t, adm.Topics().Create(*parted, 3))
	require.NoError(t, adm.Topics().Create(*plain, 0))
	require.Equal(t, 409, adminCode(adm.Topics().Create(*plain, 0)))
	meta, err := adm.Topics().GetMetadata(*parted)
	require.NoError(t, err)
	require.Equal(t, 3, meta.Partitions)
	require.NoError(t, adm.Topics().Update(*parted, 4))

	partitioned, nonPartitioned, err := adm.Topics().List(*mustNS(t, "acme/orders"))
	require.NoError(t, err)
	require.Equal(t, []string{"persistent://acme/orders/parted"}, partitioned)
	sort.Strings(nonPartitioned)
	require.Contains(t, nonPartitioned, "persistent://acme/orders/plain")
	require.Contains(t, nonPartitioned, "persistent://acme/orders/parted-partition-3")

	topics, err := adm.Namespaces().GetTopics("acme/orders")
	require.NoError(t, err)
	require.Len(t, topics, 5)

	// The binary protocol sees the partitions.
	cl := newClient(t, srv)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://acme/orders/parted"})
	require.NoError(t, err)
	parts, err := cl.TopicPartitions("persistent://acme/orders/parted")
	require.NoError(t, err)
	require.Len(t, parts, 4)

	require.Equal(t, 412, adminCode(adm.Topics().Delete(*parted, false, false)), "active producer")
	p.Close()
	require.NoError(t, adm.Topics().Delete(*parted, false, false))
	require.NoError(t, adm.Topics().Delete(*plain, true, true))
	require.Equal(t, 404, adminCode(adm.Topics().Delete(*plain, true, true)))
	require.NoError(t, adm.Namespaces().DeleteNamespace("acme/orders"))
	require.NoError(t, adm.Tenants().Delete("acme"))
}

func mustNS(t *testing.T, s string) *utils.NameSpaceName {
	ns, err := utils.GetNamespaceName(s)
	require.NoError(t, err)
	return ns
}

func TestAdminSubscriptionsAndStats(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	topic := uniqueTopic(t)
	tn, _ := utils.GetTopicName(topic)
	require.NoError(t, srv.Seed(topic, "a", "b", "c"))

	require.NoError(t, adm.Subscriptions().Create(*tn, "from-start", utils.Earliest))
	require.NoError(t, adm.Subscriptions().Create(*tn, "from-end", utils.Latest))
	require.Equal(t, 409, adminCode(adm.Subscriptions().Create(*tn, "from-end", utils.Latest)))
	subs, err := adm.Subscriptions().List(*tn)
	require.NoError(t, err)
	require.Equal(t, []string{"from-end", "from-start"}, subs)
	require.EqualValues(t, 3, srv.Backlog(topic, "from-start"))
	require.EqualValues(t, 0, srv.Backlog(topic, "from-end"))

	stats, err := adm.Topics().GetStats(*tn)
	require.NoError(t, err)
	require.EqualValues(t, 3, stats.MsgCounterIn)
	require.EqualValues(t, 3, stats.Subscriptions["from-start"].MsgBacklog)

	cl := newClient(t, srv)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "from-start"})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, strs(receive(t, cons, 3, true)))
	cons.Close()
	require.Eventually(t, func() bool { return srv.Backlog(topic, "from-start") == 0 }, 5*time.Second, 10*time.Millisecond)

	// Reset the cursor back in time: everything is unacknowledged again.
	require.NoError(t, adm.Subscriptions().ResetCursorToTimestamp(*tn, "from-start", 0))
	require.EqualValues(t, 3, srv.Backlog(topic, "from-start"))
	msgs, err := srv.Messages(topic)
	require.NoError(t, err)
	require.NoError(t, adm.Subscriptions().ResetCursorToMessageID(*tn, "from-start",
		utils.MessageID{LedgerID: int64(msgs[2].ID.LedgerID), EntryID: int64(msgs[2].ID.EntryID), PartitionIndex: -1}))
	require.EqualValues(t, 1, srv.Backlog(topic, "from-start"))

	require.NoError(t, adm.Subscriptions().Delete(*tn, "from-end"))
	require.Equal(t, 404, adminCode(adm.Subscriptions().Delete(*tn, "from-end")))
}

func TestAdminSchemaAndLookup(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	topic := uniqueTopic(t)
	def := `{"type":"record","name":"User","fields":[{"name":"id","type":"int"}]}`
	require.NoError(t, adm.Schemas().CreateSchemaByPayload(topic, utils.PostSchemaPayload{SchemaType: "AVRO", Schema: def}))
	info, err := adm.Schemas().GetSchemaInfo(topic)
	require.NoError(t, err)
	require.Equal(t, "AVRO", info.Type)
	require.JSONEq(t, def, string(info.Schema))

	tn, _ := utils.GetTopicName(topic)
	ld, err := adm.Topics().Lookup(*tn)
	require.NoError(t, err)
	require.Equal(t, srv.ServiceURL(), ld.BrokerURL)
}

func TestAdminRequiresTokenWhenAuthEnabled(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTokens("admin-token"))
	bad, err := pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: srv.AdminURL()})
	require.NoError(t, err)
	_, err = bad.Tenants().List()
	require.Equal(t, 401, adminCode(err))
	good, err := pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: srv.AdminURL(), Token: "admin-token"})
	require.NoError(t, err)
	_, err = good.Tenants().List()
	require.NoError(t, err)
}

// Unknown paths answer 404 and known paths with another method 405 (with
// Allow), in the admin API's JSON error shape, as the broker does.
func TestAdminUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	do := func(method, path string) (*http.Response, map[string]string) {
		req, err := http.NewRequest(method, srv.AdminURL()+path, strings.NewReader(""))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]string
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body), "%s %s: body is not JSON", method, path)
		return resp, body
	}
	for _, path := range []string{"/nope", "/admin/v2/nope", "/admin/v2/persistent/public/default/t/nope", "/admin/v3/tenants"} {
		resp, body := do(http.MethodGet, path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		require.NotEmpty(t, body["reason"])
	}
	resp, body := do(http.MethodPatch, "/admin/v2/tenants/public")
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Allow"), http.MethodGet)
	require.Equal(t, "Method Not Allowed", body["reason"])
	resp, _ = do(http.MethodPost, "/admin/v2/persistent/public/default")
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	// A route that exists but names nothing answers the broker's own reason.
	resp, body = do(http.MethodGet, "/admin/v2/namespaces/public/missing/topics")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "Namespace does not exist", body["reason"])
}

// Issue 14.2: a partition count the broker cannot read as an int is a 400,
// and one over maxNumPartitionsPerPartitionedTopic a 406, before anything
// is allocated; the server keeps answering.
func TestAdminPartitionCountsAreBounded(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithMaxPartitions(16))
	put := func(method, topic, body string) (int, string) {
		return adminReasonOf(t, srv, method, "/admin/v2/persistent/public/default/"+topic+"/partitions", body)
	}
	code, _ := put(http.MethodPut, "huge", "2147483648")
	require.Equal(t, http.StatusBadRequest, code)
	code, reason := put(http.MethodPut, "over", "17")
	require.Equal(t, http.StatusNotAcceptable, code)
	require.Equal(t, "Number of partitions should be less than or equal to 16", reason)
	code, _ = put(http.MethodPut, "ok", "16")
	require.Equal(t, http.StatusNoContent, code)
	code, _ = put(http.MethodPost, "ok", "2147483647")
	require.Equal(t, http.StatusNotAcceptable, code)
	code, _ = put(http.MethodPut, "zero", "0")
	require.Equal(t, http.StatusNotAcceptable, code)
}

// Issue 14.8: tenant and namespace names follow the broker's NamedEntity
// rule (letters, digits, _ and -=:.); others get its 412s, and clients get
// an error for topics in them, so no name the broker refuses is stored.
func TestNamesFollowTheBrokersRule(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	call := func(method, path, body string) (int, string) { return adminReasonOf(t, srv, method, path, body) }
	code, reason := call(http.MethodPut, "/admin/v2/tenants/bad%20tenant", `{}`)
	require.Equal(t, http.StatusPreconditionFailed, code)
	require.Equal(t, "Tenant name is not valid", reason)
	code, reason = call(http.MethodPut, "/admin/v2/namespaces/public/%C3%A9t%C3%A9", "")
	require.Equal(t, http.StatusPreconditionFailed, code)
	require.Equal(t, "Namespace name is not valid", reason)
	code, _ = call(http.MethodPut, "/admin/v2/tenants/ok-_=:.9", `{}`)
	require.Equal(t, http.StatusNoContent, code)

	cl := newClient(t, srv)
	_, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://public/bad*ns/t"})
	require.Error(t, err)
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://public/default/ "})
	require.Error(t, err)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://public/default/ünïcode-ok"})
	require.NoError(t, err)
	p.Close()
}

// adminReasonOf sends a JSON admin request and returns the status and the
// broker's {"reason": ...}.
func adminReasonOf(t *testing.T, srv *pulsarfake.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.AdminURL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out["reason"]
}
