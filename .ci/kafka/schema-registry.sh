#!/usr/bin/env bash
# The Schema Registry beside `brokerkit up`'s Kafka, driven by
# confluent-kafka-python's own SchemaRegistryClient (Debian's 1.7.0):
# register and look up Avro, JSON Schema and Protobuf schemas, versions,
# compatibility (BACKWARD by default, per subject), soft and hard deletes,
# and the registry's error codes; then a JSON-Schema-framed record through
# Kafka with the client's JSONSerializer/JSONDeserializer when
# python3-jsonschema is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKEND=kafka
. .ci/lib.sh
need=""
dpkg -s python3-confluent-kafka >/dev/null 2>&1 || need="$need python3-confluent-kafka"
dpkg -s python3-jsonschema >/dev/null 2>&1 || need="$need python3-jsonschema"
install_missing $need
port=$(free_port)
start_up --kafka-port "$port" --schema-registry-port 0
sr=$(/usr/bin/python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).readline()); print([b for b in d["backends"] if b["name"]=="kafka"][0]["addresses"]["schema-registry"])' "$work/up.json")
echo "--- registry $sr"

/usr/bin/python3 - "$sr" "127.0.0.1:$port" <<'PY'
import sys, uuid
from confluent_kafka.schema_registry import SchemaRegistryClient, Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError
url, brokers = sys.argv[1], sys.argv[2]
c = SchemaRegistryClient({"url": url})
n = 0
def check(name, want, got):
    global n
    if want != got:
        sys.exit(f"FAIL {name}: want [{want}] got [{got}]")
    print("ok  ", name); n += 1
def code(fn):
    try:
        fn()
    except SchemaRegistryError as e:
        return e.error_code
    return None

s = "py-" + uuid.uuid4().hex[:8]
v1 = Schema('{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}', "AVRO")
v2 = Schema('{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}', "AVRO")
bad = Schema('{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}', "AVRO")
id1 = c.register_schema(s + "-value", v1)
check("register returns the same id again", id1, c.register_schema(s + "-value", v1))
check("get_schema by id", "User", __import__("json").loads(c.get_schema(id1).schema_str)["name"])
check("lookup_schema version", 1, c.lookup_schema(s + "-value", v1).version)
check("compatible change", True, c.test_compatibility(s + "-value", v2))
check("incompatible change (new field without default, BACKWARD)", False, c.test_compatibility(s + "-value", bad))
check("register incompatible -> 409", 409, code(lambda: c.register_schema(s + "-value", bad)))
id2 = c.register_schema(s + "-value", v2)
check("versions", [1, 2], c.get_versions(s + "-value"))
check("latest", id2, c.get_latest_version(s + "-value").schema_id)
check("global compatibility", "BACKWARD", c.get_compatibility())
c.set_compatibility(s + "-value", "NONE")
check("subject compatibility", "NONE", c.get_compatibility(s + "-value"))
check("now anything goes", True, c.test_compatibility(s + "-value", bad))
check("invalid Avro -> 42201", 42201, code(lambda: c.register_schema(s + "-x", Schema('{"type":"nope"}', "AVRO"))))
check("unknown subject -> 40401", 40401, code(lambda: c.get_latest_version("missing-" + s)))
check("unknown id -> 40403", 40403, code(lambda: c.get_schema(987654)))
check("unknown version -> 40402", 40402, code(lambda: c.get_version(s + "-value", 99)))
js = c.register_schema(s + "-json", Schema('{"type":"object","properties":{"a":{"type":"string"}}}', "JSON"))
check("JSON schema type", "JSON", c.get_schema(js).schema_type)
pb = c.register_schema(s + "-proto", Schema('syntax = "proto3"; message M { string a = 1; }', "PROTOBUF"))
check("Protobuf schema type", "PROTOBUF", c.get_schema(pb).schema_type)
check("soft delete version", 1, c.delete_version(s + "-value", 1))
check("versions after soft delete", [2], c.get_versions(s + "-value"))
check("soft delete subject", [2], c.delete_subject(s + "-value"))
check("second soft delete -> 40404", 40404, code(lambda: c.delete_subject(s + "-value")))
# delete_subject(permanent=True) of this client soft-deletes first, so on a
# soft-deleted subject it stops at 40404 like above; the hard delete itself:
check("hard delete subject lists soft-deleted versions too", [1, 2], c._rest_client.delete("subjects/" + s + "-value?permanent=true"))
check("subject gone", 40401, code(lambda: c.get_versions(s + "-value")))

try:
    from confluent_kafka import SerializingProducer, DeserializingConsumer
    from confluent_kafka.schema_registry.json_schema import JSONSerializer, JSONDeserializer
    from confluent_kafka.serialization import StringSerializer, StringDeserializer
except ImportError as e:
    print("skip JSON serde round trip:", e)
else:
    schema = '{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}'
    topic = "sr-" + uuid.uuid4().hex[:8]
    p = SerializingProducer({"bootstrap.servers": brokers, "key.serializer": StringSerializer(),
                             "value.serializer": JSONSerializer(schema, c, lambda o, ctx: o)})
    p.produce(topic, key="k", value={"id": 7}); p.flush(10)
    check("serializer registered <topic>-value", [1], c.get_versions(topic + "-value"))
    cons = DeserializingConsumer({"bootstrap.servers": brokers, "group.id": "g-" + topic, "auto.offset.reset": "earliest",
                                  "key.deserializer": StringDeserializer(),
                                  "value.deserializer": JSONDeserializer(schema, from_dict=lambda d, ctx: d)})
    cons.subscribe([topic])
    got = None
    for _ in range(60):
        m = cons.poll(1)
        if m is not None and m.error() is None:
            got = m.value(); break
    cons.close()
    check("JSON serde round trip through Kafka", {"id": 7}, got)
print(f"--- {n} checks passed")
PY
stop_up
