package pulsarfake_test

import (
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

// With authorization on, a role produces or consumes only with a grant, as
// a superuser or as an admin of the tenant; refusals are the broker's
// AuthorizationError.
func TestAuthorizationGrants(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTokens("root", "alice", "bob", "carol"), pulsarfake.WithAuthorization("root"))
	adm, err := pulsaradmin.NewClient(&pulsaradmin.Config{WebServiceURL: srv.AdminURL(), Token: "root"})
	require.NoError(t, err)
	require.NoError(t, adm.Tenants().Update(utils.TenantData{Name: "public", AdminRoles: []string{"carol"}, AllowedClusters: []string{"standalone"}}))
	ns := mustNS(t, "public/default")
	require.NoError(t, adm.Namespaces().GrantNamespacePermission(*ns, "alice", []utils.AuthAction{"produce"}))

	topic := uniqueTopic(t)
	as := func(role string) pulsar.Client {
		return newClient(t, srv, func(o *pulsar.ClientOptions) {
			o.Authentication = pulsar.NewAuthenticationToken(role)
			o.OperationTimeout = 3 * time.Second
		})
	}
	produceAs := func(role string) error {
		p, err := as(role).CreateProducer(pulsar.ProducerOptions{Topic: topic})
		if err == nil {
			p.Close()
		}
		return err
	}
	consumeAs := func(role, sub string) error {
		c, err := as(role).Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: sub})
		if err == nil {
			c.Close()
		}
		return err
	}
	refused := func(err error) {
		t.Helper()
		require.ErrorContains(t, err, "AuthorizationError")
	}

	require.NoError(t, produceAs("root"))
	require.NoError(t, consumeAs("root", "s"))
	require.NoError(t, produceAs("carol"), "tenant admin")
	require.NoError(t, produceAs("alice"))
	refused(consumeAs("alice", "s"))
	refused(produceAs("bob"))
	_, err = as("bob").TopicPartitions(topic) // PARTITIONED_METADATA needs produce or consume
	refused(err)
	_, err = as("alice").TopicPartitions(topic)
	require.NoError(t, err)

	// A topic-level grant.
	tn, err := utils.GetTopicName(topic)
	require.NoError(t, err)
	require.NoError(t, adm.Topics().GrantPermission(*tn, "bob", []utils.AuthAction{"consume"}))
	require.NoError(t, consumeAs("bob", "s"))
	refused(produceAs("bob"))
	perms, err := adm.Topics().GetPermissions(*tn)
	require.NoError(t, err)
	require.Equal(t, []utils.AuthAction{"produce"}, perms["alice"])
	require.Equal(t, []utils.AuthAction{"consume"}, perms["bob"])

	// A subscription with a role list admits only those roles.
	require.NoError(t, adm.Namespaces().GrantSubPermission(*ns, "only-carol", []string{"carol"}))
	refused(consumeAs("bob", "only-carol"))
	require.NoError(t, consumeAs("bob", "s"))

	require.NoError(t, adm.Topics().RevokePermission(*tn, "bob"))
	refused(consumeAs("bob", "s"))
}

// Without WithAuthorization every authenticated role may do everything,
// as with the broker's default authorizationEnabled=false.
func TestAuthorizationOffByDefault(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithTokens("anyone"))
	require.NoError(t, tryProduce(t, srv, pulsar.NewAuthenticationToken("anyone")))
}
