# brokerkit dev stack: every fake on its well-known port, for containers and
# other hosts. The image holds one static binary and nothing else, so it
# builds without pulling a base image:
#
#   make image            # CGO_ENABLED=0 go build -o bin/brokerkit-linux ... && docker build -t brokerkit:local .
#   docker run --rm -p 9092:9092 -p 1883:1883 -p 6650:6650 -p 8080:8080 -p 8848:8848 -p 9848:9848 \
#     brokerkit:local --kafka-advertised-host localhost
#
# Kafka clients dial the host the broker advertises: pass the name clients use
# to reach this container (localhost with -p, the service name in compose).
FROM scratch
COPY bin/brokerkit-linux /brokerkit
# Kafka, MQTT, MQTT over TLS, Pulsar, Pulsar admin, Nacos HTTP, Nacos gRPC.
EXPOSE 9092 1883 8883 6650 8080 8848 9848 8000
ENTRYPOINT ["/brokerkit", "up", "--host", "0.0.0.0"]
