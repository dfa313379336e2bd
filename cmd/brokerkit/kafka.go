package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/brokerkit/brokerkit/fakes/kafkafake"
	"github.com/brokerkit/brokerkit/fakes/oauth2fake"
)

func init() { register(&kafkaBackend{}) }

type kafkaBackend struct {
	port       int
	advertised string
	autoCreate bool
	partitions int
	oauth      userList
	sr         schemaRegistryFlags
}

func (*kafkaBackend) name() string { return "kafka" }

func (k *kafkaBackend) flags(fs *flag.FlagSet) {
	*k = kafkaBackend{} // each up starts from the defaults (repeatable flags append)
	fs.IntVar(&k.port, "kafka-port", 9092, "Kafka port")
	fs.StringVar(&k.advertised, "kafka-advertised-host", "", "host Kafka tells clients to dial (default: --host)")
	fs.BoolVar(&k.autoCreate, "kafka-auto-create", true, "create unknown topics on first use, like auto.create.topics.enable")
	fs.IntVar(&k.partitions, "kafka-partitions", 1, "partitions of auto-created topics")
	fs.Var(&k.oauth, "kafka-oauth-client", "accept SASL/OAUTHBEARER tokens from a built-in OAuth2 issuer that knows this id:secret (repeatable); its token endpoint is printed")
	k.sr.flags(fs)
}

func (k *kafkaBackend) start(_ context.Context, c *common) (*running, error) {
	opts := []kafkafake.Option{kafkafake.WithAddr(net.JoinHostPort(c.host, strconv.Itoa(k.port)))}
	if k.advertised != "" {
		opts = append(opts, kafkafake.WithAdvertisedHost(k.advertised))
	}
	if k.autoCreate {
		opts = append(opts, kafkafake.WithAutoCreateTopics(int32(k.partitions)))
	}
	dir, err := c.dir("kafka")
	if err != nil {
		return nil, err
	}
	if dir != "" {
		opts = append(opts, kafkafake.WithDataDir(dir))
	}
	var notes []string
	for _, u := range c.users {
		// One name:password works with every mechanism a client may pick.
		opts = append(opts, kafkafake.WithUser(u.name, u.password))
	}
	if len(c.users) > 0 {
		notes = append(notes, fmt.Sprintf("SASL required (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) for %s", userNames(c.users)))
	}
	if c.tls != nil {
		cfg, err := c.tls.ServerConfig(c.host, k.advertised)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kafkafake.WithTLSConfig(cfg))
		notes = append(notes, "TLS on the broker port")
	}
	if dir != "" {
		notes = append(notes, "data kept in "+dir)
	}
	var iss *oauth2fake.Issuer
	if len(k.oauth) > 0 {
		var iopts []oauth2fake.Option
		for _, cl := range k.oauth {
			iopts = append(iopts, oauth2fake.WithClient(cl.name, cl.password))
		}
		if iss, err = oauth2fake.New(append(iopts, oauth2fake.WithAddr(net.JoinHostPort(c.host, "0")))...); err != nil {
			return nil, err
		}
		opts = append(opts, kafkafake.WithOAuth(iss.JWKSURL(), "", ""))
		notes = append(notes, "SASL/OAUTHBEARER for "+userNames(k.oauth)+", tokens (client credentials) from "+iss.TokenURL())
	}
	if o := k.sr.option(c, k.port); o != nil {
		opts = append(opts, o)
	}
	srv, err := kafkafake.New(opts...)
	if err != nil {
		if iss != nil {
			iss.Close()
		}
		return nil, err
	}
	closeAll := srv.Close
	addrs := map[string]string{"bootstrap": srv.Addr()}
	env := map[string]string{"BROKERKIT_KAFKA_ADDR": strings.Join(srv.Brokers(), ",")}
	if iss != nil {
		addrs["oauth-token"] = iss.TokenURL()
		env["BROKERKIT_KAFKA_OAUTH_TOKEN_URL"] = iss.TokenURL()
		env["BROKERKIT_KAFKA_OAUTH_CLIENT"] = k.oauth[0].name + ":" + k.oauth[0].password
		closeAll = func() error { return errors.Join(srv.Close(), iss.Close()) }
	}
	if len(c.users) > 0 {
		env["BROKERKIT_KAFKA_SASL"] = "SCRAM-SHA-256:" + c.users[0].name + ":" + c.users[0].password
	}
	if c.caFile != "" {
		env["BROKERKIT_KAFKA_CA"] = c.caFile
	}
	r := &running{
		Name:  "kafka",
		Addrs: addrs,
		Env:   env,
		Notes: notes,
		fake:  srv,
		close: closeAll,
	}
	k.sr.describe(srv, r, c)
	return r, nil
}

func userNames(us []user) string {
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.name
	}
	return strings.Join(names, ", ")
}
