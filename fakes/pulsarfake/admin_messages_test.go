package pulsarfake_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/brokerkit/brokerkit/clock"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/stretchr/testify/require"
)

func mustTopic(t *testing.T, s string) *utils.TopicName {
	t.Helper()
	n, err := utils.GetTopicName(s)
	require.NoError(t, err)
	return n
}

func TestAdminTopicPolicies(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	tn := mustTopic(t, uniqueTopic(t))
	require.NoError(t, adm.Topics().Create(*tn, 0))
	tp := adm.Topics()

	rows := []struct {
		name   string
		set    func() error
		get    func() (any, error)
		remove func() error
		want   any
	}{
		{"messageTTL", func() error { return tp.SetMessageTTL(*tn, 30) },
			func() (any, error) { return tp.GetMessageTTL(*tn) },
			func() error { return tp.RemoveMessageTTL(*tn) }, 30},
		{"maxProducers", func() error { return tp.SetMaxProducers(*tn, 4) },
			func() (any, error) { return tp.GetMaxProducers(*tn) },
			func() error { return tp.RemoveMaxProducers(*tn) }, 4},
		{"maxConsumers", func() error { return tp.SetMaxConsumers(*tn, 5) },
			func() (any, error) { return tp.GetMaxConsumers(*tn) },
			func() error { return tp.RemoveMaxConsumers(*tn) }, 5},
		{"maxUnackedMessagesOnConsumer", func() error { return tp.SetMaxUnackMessagesPerConsumer(*tn, 9) },
			func() (any, error) { return tp.GetMaxUnackMessagesPerConsumer(*tn) },
			func() error { return tp.RemoveMaxUnackMessagesPerConsumer(*tn) }, 9},
		{"maxSubscriptionsPerTopic", func() error { return tp.SetMaxSubscriptionsPerTopic(*tn, 2) },
			func() (any, error) { return tp.GetMaxSubscriptionsPerTopic(*tn) },
			func() error { return tp.RemoveMaxSubscriptionsPerTopic(*tn) }, 2},
		{"maxMessageSize", func() error { return tp.SetMaxMessageSize(*tn, 1000) },
			func() (any, error) { return tp.GetMaxMessageSize(*tn) },
			func() error { return tp.RemoveMaxMessageSize(*tn) }, 1000},
		{"publishRate", func() error { return tp.SetPublishRate(*tn, utils.PublishRateData{PublishThrottlingRateInMsg: 10}) },
			func() (any, error) {
				r, err := tp.GetPublishRate(*tn)
				return r.PublishThrottlingRateInMsg, err
			}, func() error { return tp.RemovePublishRate(*tn) }, int64(10)},
		{"delayedDelivery", func() error {
			return tp.SetDelayedDelivery(*tn, utils.DelayedDeliveryData{Active: true, TickTime: 1.5})
		}, func() (any, error) {
			d, err := tp.GetDelayedDelivery(*tn)
			return d.TickTime, err
		}, func() error { return tp.RemoveDelayedDelivery(*tn) }, 1.5},
		{"retention", func() error {
			return tp.SetRetention(*tn, utils.RetentionPolicies{RetentionTimeInMinutes: 5, RetentionSizeInMB: 6})
		}, func() (any, error) {
			r, err := tp.GetRetention(*tn, false)
			return r.RetentionTimeInMinutes, err
		}, func() error { return tp.RemoveRetention(*tn) }, 5},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			require.NoError(t, r.set())
			got, err := r.get()
			require.NoError(t, err)
			require.Equal(t, r.want, got)
			require.NoError(t, r.remove())
		})
	}
	missing := mustTopic(t, uniqueTopic(t))
	err := tp.SetMaxProducers(*missing, 1)
	require.Equal(t, 404, adminCode(err))
	require.Equal(t, "Topic not found", adminReason(err))
	require.Equal(t, "maxProducers must be 0 or more", adminReason(tp.SetMaxProducers(*tn, -1)))
}

func TestAdminBrokerEndpoints(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	require.NoError(t, adm.Brokers().HealthCheckWithTopicVersion(utils.TopicVersionV2))
	leader, err := adm.Brokers().GetLeaderBroker()
	require.NoError(t, err)
	require.NotEmpty(t, leader.BrokerID)
	require.Equal(t, srv.AdminURL(), leader.ServiceURL)

	require.NoError(t, adm.Brokers().UpdateDynamicConfiguration("allowAutoSubscriptionCreation", "false"))
	values, err := adm.Brokers().GetAllDynamicConfigurations()
	require.NoError(t, err)
	require.Equal(t, "false", values["allowAutoSubscriptionCreation"])
	names, err := adm.Brokers().GetDynamicConfigurationNames()
	require.NoError(t, err)
	require.Contains(t, names, "allowAutoSubscriptionCreation")
	err = adm.Brokers().UpdateDynamicConfiguration("clusterName", "x")
	require.Equal(t, 412, adminCode(err))

	// Transactions: an unknown transaction is a 404.
	resp, err := http.Get(srv.AdminURL() + "/admin/v3/transactions/transactionMetadata/0/12345")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestAdminMessagesByIDPeekTerminate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	topic := uniqueTopic(t)
	tn := mustTopic(t, topic)
	cl := newClient(t, srv)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	require.NoError(t, adm.Subscriptions().Create(*tn, "s", utils.Earliest))
	before := time.Now().Add(-time.Second)
	ids := produce(t, p, &pulsar.ProducerMessage{Payload: []byte("one"), Properties: map[string]string{"KeY": "VaL"}},
		&pulsar.ProducerMessage{Payload: []byte("two")})

	msgs, err := adm.Subscriptions().GetMessagesByID(*tn, ids[1].LedgerID(), ids[1].EntryID())
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	msg := msgs[0]
	require.Equal(t, "two", string(msg.Payload))
	require.Equal(t, ids[1].EntryID(), msg.MessageID.EntryID)
	_, err = adm.Subscriptions().GetMessagesByID(*tn, 1024, 2048)
	require.Equal(t, "Message id not found", adminReason(err))

	peeked, err := adm.Subscriptions().PeekMessages(*tn, "s", 2)
	require.NoError(t, err)
	require.Len(t, peeked, 2)
	require.Equal(t, "one", string(peeked[0].Payload))
	require.Equal(t, "VaL", peeked[0].Properties["KeY"])
	require.NotEmpty(t, peeked[0].Properties["publish-time"])

	id, err := adm.Topics().GetMessageID(*tn, before.UnixMilli())
	require.NoError(t, err)
	require.Equal(t, ids[0].EntryID(), id.EntryID)

	last, err := adm.Topics().Terminate(*tn)
	require.NoError(t, err)
	require.Equal(t, ids[1].EntryID(), last.EntryID)
	// The client reports the termination, or, if its reconnect already
	// learnt it and closed the producer, that the producer is closed.
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Payload: []byte("late")})
	require.True(t, errors.Is(err, pulsar.ErrTopicTerminated) || errors.Is(err, pulsar.ErrProducerClosed), "%v", err)
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.Error(t, err)
	require.Contains(t, err.Error(), "Topic was already terminated")
}

func TestAdminPolicyEnforcement(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.OperationTimeout = 3 * time.Second })
	require.NoError(t, adm.Namespaces().CreateNamespace("public/enf"))
	ns := *mustNS(t, "public/enf")

	t.Run("maxProducers", func(t *testing.T) {
		topic := "persistent://public/enf/prod"
		require.NoError(t, adm.Topics().Create(*mustTopic(t, topic), 0))
		require.NoError(t, adm.Topics().SetMaxProducers(*mustTopic(t, topic), 1))
		p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
		require.NoError(t, err)
		defer p.Close()
		_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
		require.Error(t, err)
		require.Contains(t, err.Error(), "reached max producers limit")
	})
	t.Run("maxConsumersPerSubscription", func(t *testing.T) {
		topic := "persistent://public/enf/cons"
		require.NoError(t, adm.Namespaces().SetMaxConsumersPerSubscription(ns, 1))
		defer adm.Namespaces().RemoveMaxConsumersPerSubscription(ns)
		c, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
		require.NoError(t, err)
		defer c.Close()
		_, err = cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
		require.Error(t, err)
		require.Contains(t, err.Error(), "Subscription reached max consumers limit")
	})
	t.Run("autoTopicCreation", func(t *testing.T) {
		require.NoError(t, adm.Namespaces().SetTopicAutoCreation(ns, utils.TopicAutoCreationConfig{Allow: false}))
		defer adm.Namespaces().RemoveTopicAutoCreation(ns)
		_, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: "persistent://public/enf/never"})
		require.Error(t, err)
		require.NotContains(t, srv.Topics(), "persistent://public/enf/never")
	})
	t.Run("backlogQuota", func(t *testing.T) {
		topic := "persistent://public/enf/quota"
		tn := mustTopic(t, topic)
		require.NoError(t, adm.Topics().Create(*tn, 0))
		require.NoError(t, adm.Subscriptions().Create(*tn, "s", utils.Earliest))
		require.NoError(t, adm.Topics().SetBacklogQuota(*tn, utils.BacklogQuota{LimitSize: 10, Policy: utils.ProducerException}, utils.DestinationStorage))
		p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
		require.NoError(t, err)
		produce(t, p, &pulsar.ProducerMessage{Payload: []byte(strings.Repeat("x", 100))})
		p.Close()
		_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
		require.Error(t, err)
		require.Contains(t, err.Error(), "backlog quota exceeded")
	})
}

func TestAdminStatsOptions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	topic := uniqueTopic(t)
	tn := mustTopic(t, topic)
	cl := newClient(t, srv)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	c, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer c.Close()

	st, err := adm.Topics().GetStats(*tn)
	require.NoError(t, err)
	require.Len(t, st.Publishers, 1)
	require.Len(t, st.Subscriptions["s"].Consumers, 1)
	require.Equal(t, map[string]string{}, st.Subscriptions["s"].ConsumersAfterMarkDeletePosition)
	require.Equal(t, map[string]string{}, st.Subscriptions["s"].SubscriptionProperties)
	require.Greater(t, st.TopicCreationTimeStamp, int64(0))

	st, err = adm.Topics().GetStatsWithOption(*tn, utils.GetStatsOptions{ExcludePublishers: true, ExcludeConsumers: true})
	require.NoError(t, err)
	require.Empty(t, st.Publishers)
	require.Empty(t, st.Subscriptions["s"].Consumers)
}

func TestAdminSchemaVersionCompatibility(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	topic := uniqueTopic(t)
	info := utils.SchemaInfo{Schema: []byte(""), Type: "STRING"}
	require.NoError(t, adm.Schemas().CreateSchemaBySchemaInfo(topic, info))
	got, err := adm.Schemas().GetSchemaInfo(topic)
	require.NoError(t, err)
	require.NotZero(t, got.Timestamp)
	all, err := adm.Schemas().GetAllSchemas(topic)
	require.NoError(t, err)
	require.Len(t, all, 1)
	v, err := adm.Schemas().GetVersionBySchemaInfo(topic, info)
	require.NoError(t, err)
	require.Equal(t, int64(0), v)
	_, err = adm.Schemas().GetVersionBySchemaInfo(topic, utils.SchemaInfo{Type: "INT64"})
	require.Equal(t, 404, adminCode(err))
	c, err := adm.Schemas().TestCompatibilityWithSchemaInfo(topic, info)
	require.NoError(t, err)
	require.True(t, c.IsCompatibility)
	require.Equal(t, utils.SchemaCompatibilityStrategyFull, c.SchemaCompatibilityStrategy)
	c, err = adm.Schemas().TestCompatibilityWithSchemaInfo(topic, utils.SchemaInfo{Type: "INT64"})
	require.NoError(t, err)
	require.False(t, c.IsCompatibility)
}

func TestAdminMessageTTLExpires(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(time.Now())
	srv := newServer(t, pulsarfake.WithClock(clk))
	adm := newAdmin(t, srv)
	require.NoError(t, adm.Namespaces().CreateNamespace("public/ttl"))
	require.NoError(t, adm.Namespaces().SetNamespaceMessageTTL("public/ttl", 60))
	topic := "persistent://public/ttl/t"
	tn := mustTopic(t, topic)
	require.NoError(t, adm.Topics().Create(*tn, 0))
	require.NoError(t, adm.Subscriptions().Create(*tn, "s", utils.Earliest))
	cl := newClient(t, srv)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(3, "old")...)

	st, err := adm.Topics().GetStats(*tn)
	require.NoError(t, err)
	require.Equal(t, int64(3), st.Subscriptions["s"].MsgBacklog)

	clk.Advance(2 * time.Minute)
	st, err = adm.Topics().GetStats(*tn)
	require.NoError(t, err)
	require.Equal(t, int64(0), st.Subscriptions["s"].MsgBacklog)
	c, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer c.Close()
	expectNothing(t, c, 200*time.Millisecond)
}

func TestAdminTransactionMetadata(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	topic := uniqueTopic(t)
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.EnableTransaction = true })
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, SendTimeout: 0})
	require.NoError(t, err)
	defer p.Close()
	txn, err := cl.NewTransaction(time.Minute)
	require.NoError(t, err)
	_, err = p.Send(ctxT(t), &pulsar.ProducerMessage{Payload: []byte("x"), Transaction: txn})
	require.NoError(t, err)

	id := txn.GetTxnID()
	url := fmt.Sprintf("%s/admin/v3/transactions/transactionMetadata/%d/%d", srv.AdminURL(), id.MostSigBits, id.LeastSigBits)
	var meta map[string]any
	getJSON(t, url, http.StatusOK, &meta)
	require.Equal(t, "OPEN", meta["status"])
	require.Contains(t, meta["producedPartitions"], topic)

	require.NoError(t, txn.Commit(ctxT(t)))
	getJSON(t, url, http.StatusNotFound, nil)
}

func getJSON(t *testing.T, url string, status int, out any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, status, resp.StatusCode)
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
}

func TestAdminMessagesByIDBatch(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	adm := newAdmin(t, srv)
	topic := uniqueTopic(t)
	cl := newClient(t, srv)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, BatchingMaxMessages: 3,
		BatchingMaxPublishDelay: time.Minute, CompressionType: pulsar.LZ4})
	require.NoError(t, err)
	defer p.Close()
	type sent struct {
		id  pulsar.MessageID
		err error
	}
	done := make(chan sent, 3)
	for i := range 3 {
		p.SendAsync(ctxT(t), &pulsar.ProducerMessage{Payload: fmt.Appendf(nil, "m%d", i)},
			func(id pulsar.MessageID, _ *pulsar.ProducerMessage, err error) { done <- sent{id, err} })
	}
	require.NoError(t, p.FlushWithCtx(ctxT(t)))
	first := <-done
	require.NoError(t, first.err)
	id := first.id
	msgs, err := adm.Subscriptions().GetMessagesByID(*mustTopic(t, topic), id.LedgerID(), id.EntryID())
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		require.Equal(t, fmt.Sprintf("m%d", i), string(m.Payload))
		require.Equal(t, "3", m.Properties["X-Pulsar-Num-Batch-Message"])
	}
}
