package pulsarfake_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/apache/pulsar-client-go/pulsaradmin/pkg/utils"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
	"github.com/brokerkit/brokerkit/internal/datadir"
	"github.com/stretchr/testify/require"
)

func TestFailNextProducerAndSubscribe(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	h, err := srv.FailNext(pulsarfake.OpProducer, "", 1, pulsarfake.ProducerBlockedQuotaExceededError)
	require.NoError(t, err)
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.ErrorContains(t, err, "ProducerBlockedQuotaExceededError")
	require.NoError(t, h.Wait(ctxT(t), 1))
	require.Equal(t, 1, h.Hits())
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()

	other, err := srv.FailNext(pulsarfake.OpSubscribe, "other-topic", 1, pulsarfake.ServiceNotReady)
	require.NoError(t, err)
	mine, err := srv.FailNext(pulsarfake.OpSubscribe, topic, 1, pulsarfake.AuthorizationError)
	require.NoError(t, err)
	_, err = cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.ErrorContains(t, err, "AuthorizationError")
	require.Equal(t, 0, other.Hits())
	require.Equal(t, 1, mine.Hits())
	require.Len(t, srv.Faults(), 1, "the rule for other-topic is still installed")
	srv.ResetFaults()
	require.Empty(t, srv.Faults())
}

func TestFailNextUnknownOpIsAnError(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, err := srv.FailNext("PRODUCE", "", 1, pulsarfake.ServiceNotReady)
	require.Error(t, err)
	_, err = srv.Delay("SNED", time.Second)
	require.Error(t, err)
	require.Empty(t, srv.Faults())
	for _, op := range pulsarfake.Ops() {
		h, err := srv.FailNext(op, "", 1, pulsarfake.ServiceNotReady)
		require.NoError(t, err, op)
		h.Remove()
	}
}

func TestFailNextHandleCountsHitsUntilUsedUp(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	h, err := srv.FailNext(pulsarfake.OpProducer, topic, 2, pulsarfake.ProducerBusy)
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
		require.ErrorContains(t, err, "ProducerBusy")
	}
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, h.Wait(ctxT(t), 2))
	require.Equal(t, 2, h.Hits())
	require.Empty(t, srv.Faults(), "a used-up rule is uninstalled")
}

func TestFailNextSendIsRetriedByClient(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	// A SEND_ERROR other than NotAllowed/TopicTerminated makes the client
	// reconnect and resend: the message still arrives, once.
	_, err = srv.FailNext(pulsarfake.OpSend, "", 1, pulsarfake.PersistenceError)
	require.NoError(t, err)
	produce(t, p, payloads(1, "m")...)
	msgs, err := srv.Messages(topic)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
}

func TestDelay(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic(t), DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	h, err := srv.Delay(pulsarfake.OpSend, 150*time.Millisecond)
	require.NoError(t, err)
	start := time.Now()
	produce(t, p, payloads(1, "slow")...)
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
	require.Equal(t, 1, h.Hits())
	h.Remove()
	require.Empty(t, srv.Faults())
}

func TestDelayEndsWhenServerCloses(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv, func(o *pulsar.ClientOptions) { o.OperationTimeout = 2 * time.Second })
	_, err := srv.Delay(pulsarfake.OpProducer, time.Hour)
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: uniqueTopic(t)})
		errc <- err
	}()
	require.Eventually(t, func() bool { return srv.Faults()[0].Hits == 1 }, 5*time.Second, 5*time.Millisecond)
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for an injected delay")
	}
	cl.Close()
	<-errc
}

func TestDropConnectionsRedelivers(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", Type: pulsar.Shared})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(2, "a")...)
	receive(t, cons, 2, false)
	require.Equal(t, 1, srv.DropConnections())
	// The client drops its queue on reconnect; the broker redelivers.
	got := receive(t, cons, 2, true)
	require.ElementsMatch(t, []string{"a-0", "a-1"}, strs(got))
	// (pulsar-client-go races with itself when a producer sends while it
	// reconnects, so later messages come from the server side.)
	require.NoError(t, srv.Seed(topic, "b-0"))
	require.Equal(t, []string{"b-0"}, strs(receive(t, cons, 1, true)))
	require.Eventually(t, func() bool { return len(srv.Producers(topic)) == 1 }, 5*time.Second, 10*time.Millisecond)
}

func TestUnloadTopicClientsReconnect(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(1, "before")...)
	require.Equal(t, []string{"before-0"}, strs(receive(t, cons, 1, true)))
	require.NoError(t, srv.UnloadTopic(topic))
	require.NoError(t, srv.Seed(topic, "after-0"))
	require.Equal(t, []string{"after-0"}, strs(receive(t, cons, 1, true)))
	require.Eventually(t, func() bool { return len(srv.Producers(topic)) == 1 && len(srv.Consumers(topic)) == 1 },
		5*time.Second, 10*time.Millisecond)
}

func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	for _, withDir := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "datadir"}[withDir], func(t *testing.T) {
			var opts []pulsarfake.Option
			if withDir {
				opts = append(opts, pulsarfake.WithDataDir(t.TempDir()))
			}
			srv := newServer(t, opts...)
			cl := newClient(t, srv)
			topic := uniqueTopic(t)
			cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
			require.NoError(t, err)
			defer cons.Close()
			p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
			require.NoError(t, err)
			defer p.Close()
			produce(t, p, payloads(3, "m")...)
			got := receive(t, cons, 3, false)
			require.NoError(t, cons.Ack(got[0]))
			cons.Close() // flush the ack
			require.NoError(t, srv.Restart())
			cons, err = cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s"})
			require.NoError(t, err)
			require.Equal(t, []string{"m-1", "m-2"}, strs(receive(t, cons, 2, true)))
			p2, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic, DisableBatching: true})
			require.NoError(t, err)
			defer p2.Close()
			produce(t, p2, payloads(1, "post")...)
			require.Equal(t, []string{"post-0"}, strs(receive(t, cons, 1, true)))
		})
	}
}

func TestDataDirSurvivesNewServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.NoError(t, err)
	require.NoError(t, srv.CreateTopic("kept", 2))
	require.NoError(t, srv.Seed("plain", "one", "two"))
	cl := newClient(t, srv)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: "plain", SubscriptionName: "s",
		SubscriptionInitialPosition: pulsar.SubscriptionPositionEarliest})
	require.NoError(t, err)
	receive(t, cons, 1, true)
	cons.Close()
	cl.Close()
	require.NoError(t, srv.Close())

	srv2 := newServer(t, pulsarfake.WithDataDir(dir))
	require.Contains(t, srv2.Topics(), "persistent://public/default/kept")
	msgs, err := srv2.Messages("plain")
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.EqualValues(t, 1, srv2.Backlog("plain", "s"))
	cl2 := newClient(t, srv2)
	cons2, err := cl2.Subscribe(pulsar.ConsumerOptions{Topic: "plain", SubscriptionName: "s"})
	require.NoError(t, err)
	defer cons2.Close()
	require.Equal(t, []string{"two"}, strs(receive(t, cons2, 1, true)))
}

func TestDataDirIsLockedAgainstASecondServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	newServer(t, pulsarfake.WithDataDir(dir))
	_, err := pulsarfake.New(pulsarfake.WithDataDir(dir))
	require.ErrorIs(t, err, datadir.ErrLocked)
}

func TestRestartKeepsFaultsAndAddresses(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	addr, admin := srv.Addr(), srv.AdminURL()
	topic := uniqueTopic(t)
	h, err := srv.FailNext(pulsarfake.OpProducer, topic, 1, pulsarfake.ProducerBusy)
	require.NoError(t, err)
	require.NoError(t, srv.Restart())
	require.Equal(t, addr, srv.Addr())
	require.Equal(t, admin, srv.AdminURL())
	require.Len(t, srv.Faults(), 1)
	_, err = cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.ErrorContains(t, err, "ProducerBusy")
	require.Equal(t, 1, h.Hits(), "the handle from before Restart still counts")
}

func TestRetentionLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pulsarfake.WithRetention(3, 0))
	topic := uniqueTopic(t)
	require.NoError(t, srv.Seed(topic, "1", "2", "3", "4", "5"))
	msgs, err := srv.Messages(topic)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	require.Equal(t, "3", string(msgs[0].Payload))
	cl := newClient(t, srv)
	r, err := cl.CreateReader(pulsar.ReaderOptions{Topic: topic, StartMessageID: pulsar.EarliestMessageID()})
	require.NoError(t, err)
	defer r.Close()
	var got []string
	for r.HasNext() {
		m, err := r.Next(ctxT(t))
		require.NoError(t, err)
		got = append(got, string(m.Payload()))
	}
	require.Equal(t, []string{"3", "4", "5"}, got)
}

// SEND carries a producer id, not a topic: the fault target is the topic the
// producer was opened on, so a rule for one topic leaves the others alone.
func TestFailNextSendTargetsTheProducersTopic(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	target, other := uniqueTopic(t), uniqueTopic(t)+"-other"
	pt, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: target, DisableBatching: true})
	require.NoError(t, err)
	defer pt.Close()
	po, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: other, DisableBatching: true})
	require.NoError(t, err)
	defer po.Close()
	h, err := srv.FailNext(pulsarfake.OpSend, target, 1, pulsarfake.PersistenceError)
	require.NoError(t, err)
	produce(t, po, payloads(1, "o")...)
	require.Equal(t, 0, h.Hits(), "a send to another topic hit the rule")
	produce(t, pt, payloads(1, "t")...)
	require.NoError(t, h.Wait(ctxT(t), 1))
}

// The scenario of the client suite's TestReconnectConsumer (which needs its
// own broker container): an admin unload in the middle of a zero-queue
// consumer's stream closes it, it reconnects and gets the rest in order.
func TestAdminUnloadZeroQueueConsumerResumes(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	cl := newClient(t, srv)
	topic := uniqueTopic(t)
	cons, err := cl.Subscribe(pulsar.ConsumerOptions{Topic: topic, SubscriptionName: "s", EnableZeroQueueConsumer: true})
	require.NoError(t, err)
	defer cons.Close()
	p, err := cl.CreateProducer(pulsar.ProducerOptions{Topic: topic})
	require.NoError(t, err)
	defer p.Close()
	produce(t, p, payloads(10, "m")...)
	got := strs(receive(t, cons, 3, true))
	tn, err := utils.GetTopicName(topic)
	require.NoError(t, err)
	require.NoError(t, newAdmin(t, srv).Topics().Unload(*tn))
	got = append(got, strs(receive(t, cons, 7, true))...)
	want := make([]string, 10)
	for i := range want {
		want[i] = fmt.Sprintf("m-%d", i)
	}
	require.Equal(t, want, got)
}
