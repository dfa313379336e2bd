package pulsarfake_test

import (
	"net/http"
	"testing"

	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/rest"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/stretchr/testify/require"
)

func adminReason(err error) string {
	if e, ok := err.(rest.Error); ok {
		return e.Reason
	}
	return ""
}

func TestAdminNamespacePolicies(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	require.NoError(t, adm.Namespaces().CreateNamespace("public/pol"))
	ns := *mustNS(t, "public/pol")
	nsa := adm.Namespaces()

	// Each row sets a policy, reads it back, removes it and reads the
	// broker's answer for an unset policy.
	rows := []struct {
		name   string
		set    func() error
		get    func() (any, error)
		remove func() error
		want   any
		unset  any
	}{
		{"messageTTL", func() error { return nsa.SetNamespaceMessageTTL("public/pol", 3600) },
			func() (any, error) { return nsa.GetNamespaceMessageTTL("public/pol") },
			func() error { return nsa.RemoveNamespaceMessageTTL("public/pol") }, 3600, -1},
		{"retention", func() error {
			return nsa.SetRetention("public/pol", utils.RetentionPolicies{RetentionTimeInMinutes: 60, RetentionSizeInMB: 1024})
		}, func() (any, error) {
			r, err := nsa.GetRetention("public/pol")
			if r == nil {
				return nil, err
			}
			return r.RetentionSizeInMB, err
		}, func() error { return nsa.RemoveRetention("public/pol") }, int64(1024), nil},
		{"maxTopicsPerNamespace", func() error { return nsa.SetMaxTopicsPerNamespace(ns, 100) },
			func() (any, error) { return nsa.GetMaxTopicsPerNamespace(ns) },
			func() error { return nsa.RemoveMaxTopicsPerNamespace(ns) }, 100, 0},
		{"subscriptionExpirationTime", func() error { return nsa.SetSubscriptionExpirationTime(ns, 60) },
			func() (any, error) { return nsa.GetSubscriptionExpirationTime(ns) },
			func() error { return nsa.RemoveSubscriptionExpirationTime(ns) }, 60, -1},
		{"offloadDeletionLagMs", func() error { return nsa.SetOffloadDeleteLag(ns, 1000) },
			func() (any, error) { return nsa.GetOffloadDeleteLag(ns) },
			func() error { return nsa.ClearOffloadDeleteLag(ns) }, int64(1000), int64(-1)},
		{"compactionThreshold", func() error { return nsa.SetCompactionThreshold(ns, 1<<20) },
			func() (any, error) { return nsa.GetCompactionThreshold(ns) },
			nil, int64(1 << 20), nil},
		{"maxProducersPerTopic", func() error { return nsa.SetMaxProducersPerTopic(ns, 50) },
			func() (any, error) { return nsa.GetMaxProducersPerTopic(ns) },
			func() error { return nsa.RemoveMaxProducersPerTopic(ns) }, 50, -1},
		{"maxConsumersPerTopic", func() error { return nsa.SetMaxConsumersPerTopic(ns, 7) },
			func() (any, error) { return nsa.GetMaxConsumersPerTopic(ns) },
			func() error { return nsa.RemoveMaxConsumersPerTopic(ns) }, 7, -1},
		{"maxConsumersPerSubscription", func() error { return nsa.SetMaxConsumersPerSubscription(ns, 3) },
			func() (any, error) { return nsa.GetMaxConsumersPerSubscription(ns) },
			func() error { return nsa.RemoveMaxConsumersPerSubscription(ns) }, 3, -1},
		{"schemaCompatibilityStrategy", func() error {
			return nsa.SetSchemaCompatibilityStrategy(ns, utils.SchemaCompatibilityStrategyForward)
		}, func() (any, error) { return nsa.GetSchemaCompatibilityStrategy(ns) },
			func() error {
				return nsa.SetSchemaCompatibilityStrategy(ns, utils.SchemaCompatibilityStrategyUndefined)
			}, utils.SchemaCompatibilityStrategyForward, utils.SchemaCompatibilityStrategyUndefined},
		{"bookieAffinity", func() error {
			return nsa.SetBookieAffinityGroup("public/pol", utils.BookieAffinityGroupData{BookkeeperAffinityGroupPrimary: "p"})
		}, func() (any, error) {
			g, err := nsa.GetBookieAffinityGroup("public/pol")
			if g == nil {
				return nil, err
			}
			return g.BookkeeperAffinityGroupPrimary, err
		}, func() error { return nsa.DeleteBookieAffinityGroup("public/pol") }, "p", nil},
		{"persistence", func() error {
			return nsa.SetPersistence("public/pol", utils.PersistencePolicies{BookkeeperEnsemble: 3, BookkeeperWriteQuorum: 2, BookkeeperAckQuorum: 2})
		}, func() (any, error) {
			p, err := nsa.GetPersistence("public/pol")
			return p.BookkeeperEnsemble, err
		}, nil, 3, nil},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			require.NoError(t, r.set())
			got, err := r.get()
			require.NoError(t, err)
			require.Equal(t, r.want, got)
			if r.remove == nil {
				return
			}
			require.NoError(t, r.remove())
			got, err = r.get()
			require.NoError(t, err)
			require.Equal(t, r.unset, got)
		})
	}

	t.Run("validation", func(t *testing.T) {
		for _, c := range []struct {
			err    error
			reason string
		}{
			{nsa.SetMaxTopicsPerNamespace(ns, -1), "maxTopicsPerNamespace must be 0 or more"},
			{nsa.SetSubscriptionExpirationTime(ns, -60), "Invalid value for subscription expiration time"},
			{nsa.SetOffloadThresholdInSeconds(ns, -60), "Invalid value for offloadThresholdInSecond"},
			{nsa.SetTopicAutoCreation(ns, utils.TopicAutoCreationConfig{Allow: true, Type: utils.Partitioned}),
				"Invalid configuration for autoTopicCreationOverride. the detail is [defaultNumPartitions] cannot be null when the type is partitioned."},
			{nsa.SetTopicAutoCreation(*mustNS(t, "public/nonexist"), utils.TopicAutoCreationConfig{Allow: true, Type: utils.NonPartitioned}),
				"Namespace does not exist"},
			{nsa.SetTopicAutoCreation(*mustNS(t, "nobody/default"), utils.TopicAutoCreationConfig{Allow: true, Type: utils.NonPartitioned}),
				"Tenant does not exist"},
		} {
			require.Error(t, c.err)
			require.Equal(t, c.reason, adminReason(c.err))
		}
	})

	t.Run("autoTopicCreation", func(t *testing.T) {
		got, err := nsa.GetTopicAutoCreation(ns)
		require.NoError(t, err)
		require.Nil(t, got)
		want := utils.TopicAutoCreationConfig{Allow: true, Type: utils.NonPartitioned}
		require.NoError(t, nsa.SetTopicAutoCreation(ns, want))
		got, err = nsa.GetTopicAutoCreation(ns)
		require.NoError(t, err)
		require.Equal(t, want, *got)
		require.NoError(t, nsa.RemoveTopicAutoCreation(ns))
	})

	t.Run("properties", func(t *testing.T) {
		props := map[string]string{"a": "1", "b": "2"}
		require.NoError(t, nsa.UpdateProperties(ns, props))
		got, err := nsa.GetProperties(ns)
		require.NoError(t, err)
		require.Equal(t, props, got)
		require.NoError(t, nsa.RemoveProperties(ns))
		got, err = nsa.GetProperties(ns)
		require.NoError(t, err)
		require.Equal(t, map[string]string{}, got)
	})

	t.Run("permissions", func(t *testing.T) {
		require.NoError(t, nsa.GrantNamespacePermission(ns, "alice", []utils.AuthAction{"produce", "consume"}))
		perms, err := nsa.GetNamespacePermissions(ns)
		require.NoError(t, err)
		require.ElementsMatch(t, []utils.AuthAction{"produce", "consume"}, perms["alice"])
		require.NoError(t, nsa.RevokeNamespacePermission(ns, "alice"))
		perms, err = nsa.GetNamespacePermissions(ns)
		require.NoError(t, err)
		require.NotContains(t, perms, "alice")

		require.NoError(t, nsa.GrantSubPermission(ns, "sub", []string{"user"}))
		subs, err := nsa.GetSubPermissions(ns)
		require.NoError(t, err)
		require.Equal(t, []string{"user"}, subs["sub"])
		require.NoError(t, nsa.RevokeSubPermission(ns, "sub", "user"))
		subs, err = nsa.GetSubPermissions(ns)
		require.NoError(t, err)
		require.Empty(t, subs["sub"])
	})

	t.Run("backlogQuota", func(t *testing.T) {
		q := utils.BacklogQuota{LimitSize: 1 << 20, Policy: utils.ProducerException}
		require.NoError(t, nsa.SetBacklogQuota("public/pol", q, utils.DestinationStorage))
		m, err := nsa.GetBacklogQuotaMap("public/pol")
		require.NoError(t, err)
		require.Equal(t, q.LimitSize, m[utils.DestinationStorage].LimitSize)
		require.Equal(t, q.Policy, m[utils.DestinationStorage].Policy)
		require.NoError(t, nsa.RemoveBacklogQuota("public/pol"))
		m, err = nsa.GetBacklogQuotaMap("public/pol")
		require.NoError(t, err)
		require.Empty(t, m)

		// The deprecated "limit", with the number as a string, as
		// pulsar-client-go's own tests send it.
		adminDo(t, srv, http.MethodPost, "/admin/v2/namespaces/public/pol/backlogQuota", `{"limit": "10240", "policy": "producer_request_hold"}`)
		m, err = nsa.GetBacklogQuotaMap("public/pol")
		require.NoError(t, err)
		require.EqualValues(t, 10240, m[utils.DestinationStorage].LimitSize)
		require.NoError(t, nsa.RemoveBacklogQuota("public/pol"))
	})
}
