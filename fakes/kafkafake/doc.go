// Package kafkafake is an in-process Kafka cluster for tests, built on
// franz-go's kfake, that any Kafka client can use over real sockets:
// franz-go, sarama, segmentio/kafka-go, confluent-kafka-go / librdkafka (kcat)
// and kafka-python.
//
//	srv, err := kafkafake.New(kafkafake.WithTopic("orders", 3))
//	if err != nil { ... }
//	defer srv.Close()
//	cl, _ := kgo.NewClient(kgo.SeedBrokers(srv.Brokers()...))
//
// On top of kfake it adds what tests and `brokerkit up` need: one broker on
// 127.0.0.1 by default; auto-create honoured for every Metadata version;
// SASL PLAIN and SCRAM that also accepts the pre-KIP-152 handshake (v0 plus
// raw tokens) that older librdkafka and kafka-python speak; TLS with a
// generated CA; an advertised host for clients in containers; inspection of
// records and committed offsets without a consumer; faults on the shared
// brokerkit/fault model (FailNext and Delay by kmsg.Key returning a
// *fault.Handle, DropConnections, ResetFaults, Faults, Restart keeping data,
// users and faults); and frame
// checks so an oversized or unknown request closes that one connection, as
// Kafka does, instead of exhausting memory or crashing the process.
//
// There is no WithClock: kfake reads time.Now for session timeouts and
// retention itself.
package kafkafake
