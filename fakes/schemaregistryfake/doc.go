// Package schemaregistryfake is an in-process fake of Confluent Schema
// Registry's REST API (v1, application/vnd.schemaregistry.v1+json): subjects,
// versions, global schema ids, AVRO / JSON / PROTOBUF schemas with references,
// compatibility levels and checks, soft and hard deletes, and the registry's
// error codes (40401 subject not found, 409 incompatible, 42201 invalid
// schema, ...).
//
// Clients such as confluent-kafka-go's schemaregistry package and
// confluent-kafka-python's SchemaRegistryClient talk to it unchanged: point
// them at URL(). State lives in memory and ends with Close.
package schemaregistryfake
