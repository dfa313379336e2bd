package console

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/mqttfake"
	"github.com/brokerkit/brokerkit/fakes/nacosfake"
	"github.com/brokerkit/brokerkit/fakes/pulsarfake"
)

// pageSize is how many records or messages a page lists.
const pageSize = 50

// view is what one page's templates render.
type view struct {
	Page    string
	Nav     []navItem
	Query   url.Values
	Ok, Err string
	Faults  *faultsView
	Data    any
	DataErr string
}

// build gathers the data of a page from the fakes.
func (s *Server) build(ctx context.Context, page string, q url.Values) view {
	v := view{Page: page, Nav: s.nav(), Query: q, Ok: q.Get("ok"), Err: q.Get("err")}
	if b := s.backend(page); b != nil {
		f := s.faultsOf(b)
		v.Faults = &f
	}
	var err error
	switch page {
	case "overview":
		v.Data = s.overview(ctx)
	case "kafka":
		v.Data, err = s.kafkaView(ctx, q)
	case "pulsar":
		v.Data = s.pulsarView(q)
	case "mqtt":
		v.Data = s.mqttView(q)
	case "nacos":
		v.Data = s.nacosView()
	}
	if err != nil {
		v.DataErr = err.Error()
	}
	return v
}

type navItem struct{ Name, Title string }

func (s *Server) nav() []navItem {
	out := make([]navItem, len(s.backends))
	for i, b := range s.backends {
		out[i] = navItem{b.name(), b.title()}
	}
	return out
}

type overviewCard struct {
	Name, Title string
	Facts       []string
	Faults      int
}

func (s *Server) overview(ctx context.Context) []overviewCard {
	var out []overviewCard
	for _, b := range s.backends {
		c := overviewCard{Name: b.name(), Title: b.title(), Faults: len(b.faults())}
		switch b.name() {
		case "kafka":
			ts, err := s.kafka.Topics(ctx)
			if err != nil {
				c.Facts = append(c.Facts, "error: "+err.Error())
			}
			c.Facts = append(c.Facts, plural(len(ts), "topic"), s.kafka.Addr())
		case "pulsar":
			c.Facts = append(c.Facts, plural(len(s.pulsar.Topics()), "topic"), plural(s.pulsar.ConnectionCount(), "connection"), s.pulsar.ServiceURL())
		case "mqtt":
			n := 0
			for _, cl := range s.mqtt.Clients() {
				if cl.Connected {
					n++
				}
			}
			c.Facts = append(c.Facts, plural(n, "connected client"), plural(len(s.mqtt.Retained()), "retained message"), s.mqtt.URL())
		case "nacos":
			c.Facts = append(c.Facts, plural(len(s.nacos.Configs()), "config"), plural(len(s.nacos.Services()), "service"), s.nacos.URL())
		}
		out = append(out, c)
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// ---- Kafka ----

type kafkaView struct {
	Topics []kafkaTopic
	Groups []kafkafake.GroupInfo
	// The selected partition's records.
	Topic     string
	Partition int32
	Format    string // text, hex or json
	Records   []kafkaRecord
	From      int64 // first offset shown
	Prev      int64 // -1: no previous page
	Next      int64 // -1: no next page
}

type kafkaTopic struct {
	Name       string
	Partitions []kafkaPartition
	Records    int64
}

type kafkaPartition struct {
	Partition int32
	Low, High int64
	Count     int64 // records between the watermarks
	Leader    int32
	Bytes     int64
}

type kafkaRecord struct {
	Offset    int64
	Key       string
	Value     string
	Headers   []string
	Timestamp time.Time
}

func (s *Server) kafkaView(ctx context.Context, q url.Values) (kafkaView, error) {
	v := kafkaView{Topic: q.Get("topic"), Format: q.Get("format"), Prev: -1, Next: -1}
	if v.Format != "hex" && v.Format != "json" {
		v.Format = "text"
	}
	ts, err := s.kafka.Topics(ctx)
	if err != nil {
		return v, err
	}
	for name := range ts {
		t := kafkaTopic{Name: name}
		for _, p := range s.kafka.Partitions(name) {
			t.Partitions = append(t.Partitions, kafkaPartition{Partition: p.Partition, Low: p.LogStartOffset, High: p.HighWatermark, Count: p.HighWatermark - p.LogStartOffset, Leader: p.Leader, Bytes: p.NumBytes})
			t.Records += p.HighWatermark - p.LogStartOffset
		}
		sort.Slice(t.Partitions, func(i, j int) bool { return t.Partitions[i].Partition < t.Partitions[j].Partition })
		v.Topics = append(v.Topics, t)
	}
	sort.Slice(v.Topics, func(i, j int) bool { return v.Topics[i].Name < v.Topics[j].Name })
	if v.Groups, err = s.kafka.Groups(ctx); err != nil {
		return v, err
	}
	if v.Topic == "" {
		return v, nil
	}
	p, _ := strconv.Atoi(q.Get("partition"))
	v.Partition = int32(p)
	return v, s.kafkaRecords(ctx, &v, q.Get("from"))
}

// kafkaRecords fills one page of the selected partition: the newest page
// unless from names an offset. Only that page is read from the fake.
func (s *Server) kafkaRecords(ctx context.Context, v *kafkaView, fromStr string) error {
	var low, high int64
	found := false
	for _, p := range s.kafka.Partitions(v.Topic) {
		if p.Partition == v.Partition {
			low, high, found = p.LogStartOffset, p.HighWatermark, true
		}
	}
	if !found {
		return fmt.Errorf("no partition %s/%d", v.Topic, v.Partition)
	}
	from := max(low, high-pageSize)
	if f, err := strconv.ParseInt(fromStr, 10, 64); err == nil {
		from = min(max(f, low), max(low, high-1))
	}
	recs, err := s.pageOf(ctx, pageKey{v.Topic, v.Partition, from, low, high})
	if err != nil {
		return err
	}
	v.From = from
	if from > low {
		v.Prev = max(low, from-pageSize)
	}
	if from+pageSize < high {
		v.Next = from + pageSize
	}
	for _, r := range recs {
		kr := kafkaRecord{Offset: r.Offset, Key: render(r.Key, v.Format), Value: render(r.Value, v.Format), Timestamp: r.Timestamp}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, h.Key+"="+render(h.Value, "text"))
		}
		v.Records = append(v.Records, kr)
	}
	return nil
}

// pageKey names a page of records and the watermarks it was read at: live
// views re-render every tick, and reading again is needed only when the
// partition moved.
type pageKey struct {
	topic     string
	partition int32
	from      int64
	low, high int64
}

func (s *Server) pageOf(ctx context.Context, k pageKey) ([]*kgo.Record, error) {
	s.pageMu.Lock()
	recs, ok := s.recPages[k]
	s.pageMu.Unlock()
	if ok {
		return recs, nil
	}
	recs, err := s.kafka.RecordsRange(ctx, k.topic, k.partition, k.from, pageSize)
	if err != nil {
		return nil, err
	}
	s.pageMu.Lock()
	if len(s.recPages) >= 64 { // a few open pages; forget them all when it grows
		clear(s.recPages)
	}
	s.recPages[k] = recs
	s.pageMu.Unlock()
	return recs, nil
}

// render shows bytes as text (invalid UTF-8 falls back to hex), a hex dump
// or indented JSON (falling back to text).
func render(b []byte, format string) string {
	switch format {
	case "hex":
		return strings.TrimRight(hex.Dump(b), "\n")
	case "json":
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") == nil {
			return out.String()
		}
	}
	if !utf8.Valid(b) {
		return strings.TrimRight(hex.Dump(b), "\n")
	}
	return string(b)
}

// ---- Pulsar ----

type pulsarView struct {
	Tenants  []pulsarTenant
	Topics   []pulsarTopic
	Topic    string
	Messages []pulsarfake.Message
	Schemas  []pulsarfake.SchemaInfo
	Total    int
}

type pulsarTenant struct {
	Name       string
	Namespaces []string
}

type pulsarTopic struct {
	Name          string
	Partitions    int
	Backlog       int64
	Subscriptions []pulsarfake.SubscriptionInfo
	Producers     []pulsarfake.ProducerInfo
}

func (s *Server) pulsarView(q url.Values) pulsarView {
	p := s.pulsar
	var v pulsarView
	for _, t := range p.Tenants() {
		v.Tenants = append(v.Tenants, pulsarTenant{Name: t, Namespaces: p.Namespaces(t)})
	}
	for _, name := range p.Topics() {
		t := pulsarTopic{Name: name, Partitions: p.Partitions(name), Subscriptions: p.Subscriptions(name), Producers: p.Producers(name)}
		for _, si := range t.Subscriptions {
			t.Backlog += si.Backlog
		}
		v.Topics = append(v.Topics, t)
	}
	if v.Topic = q.Get("topic"); v.Topic != "" {
		msgs, _ := p.Messages(v.Topic)
		v.Total = len(msgs)
		v.Messages = msgs[max(0, len(msgs)-pageSize):]
		v.Schemas = p.Schemas(v.Topic)
	}
	return v
}

// ---- MQTT ----

type mqttView struct {
	Clients  []mqttfake.ClientInfo
	Retained []mqttfake.Message
	Filter   string
	Tail     []mqttfake.Message
	Stats    mqttfake.Stats
}

func (s *Server) mqttView(q url.Values) mqttView {
	m := s.mqtt
	v := mqttView{Clients: m.Clients(), Retained: m.Retained(), Filter: q.Get("filter"), Stats: m.Stats()}
	if v.Filter == "" {
		v.Filter = "#"
	}
	for _, t := range m.PublishedTopics() {
		if mqttfake.Matches(v.Filter, t) {
			v.Tail = append(v.Tail, m.Published(t)...)
		}
	}
	sort.SliceStable(v.Tail, func(i, j int) bool { return v.Tail[i].Time.After(v.Tail[j].Time) })
	v.Tail = v.Tail[:min(len(v.Tail), pageSize)]
	return v
}

// ---- Nacos ----

type nacosView struct {
	Namespaces  []nacosfake.Namespace
	Configs     []nacosConfig
	Listeners   []nacosfake.Listener
	Services    []nacosService
	Subscribers []nacosfake.Subscriber
	Connections int
}

type nacosConfig struct {
	nacosfake.Config
	Pretty string
}

type nacosService struct {
	Namespace, Group, Name string
	Instances              []nacosfake.Instance
}

func (s *Server) nacosView() nacosView {
	n := s.nacos
	v := nacosView{Namespaces: n.Namespaces(), Listeners: n.Listeners(), Subscribers: n.Subscribers(), Connections: len(n.Connections())}
	for _, c := range n.Configs() {
		pretty := c.Content
		if c.Type == "json" {
			pretty = render([]byte(c.Content), "json")
		}
		v.Configs = append(v.Configs, nacosConfig{Config: c, Pretty: pretty})
	}
	sort.Slice(v.Configs, func(i, j int) bool {
		a, b := v.Configs[i], v.Configs[j]
		return a.Tenant+"/"+a.Group+"/"+a.DataID < b.Tenant+"/"+b.Group+"/"+b.DataID
	})
	for _, full := range n.Services() {
		ns, rest, _ := strings.Cut(full, "/")
		group, name, ok := strings.Cut(rest, "@@")
		if !ok {
			group, name = nacosfake.DefaultGroup, rest
		}
		v.Services = append(v.Services, nacosService{Namespace: ns, Group: group, Name: name, Instances: n.Instances(ns, group, name)})
	}
	sort.Slice(v.Listeners, func(i, j int) bool {
		return v.Listeners[i].DataID+v.Listeners[i].ConnID < v.Listeners[j].DataID+v.Listeners[j].ConnID
	})
	sort.Slice(v.Subscribers, func(i, j int) bool {
		return v.Subscribers[i].Service+v.Subscribers[i].ConnID < v.Subscribers[j].Service+v.Subscribers[j].ConnID
	})
	return v
}
