package pulsarfake

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/brokerkit/brokerkit/fakes/pulsarfake/internal/wire"
	"google.golang.org/protobuf/proto"
)

func (c *conn) handlePartitionedMetadata(cmd *wire.CommandPartitionedTopicMetadata) bool {
	resp := &wire.CommandPartitionedTopicMetadataResponse{RequestId: proto.Uint64(cmd.GetRequestId())}
	name, err := parseTopic(cmd.GetTopic())
	if err != nil {
		resp.Response = wire.CommandPartitionedTopicMetadataResponse_Failed.Enum()
		resp.Error, resp.Message = InvalidTopicName.pb(), proto.String(err.Error())
	} else if !c.s.canLookup(c.role, name) {
		resp.Response = wire.CommandPartitionedTopicMetadataResponse_Failed.Enum()
		resp.Error, resp.Message = AuthorizationError.pb(), proto.String("Client is not authorized to Get Partition Metadata")
	} else {
		resp.Response = wire.CommandPartitionedTopicMetadataResponse_Success.Enum()
		resp.Partitions = proto.Uint32(uint32(c.s.partitionsOf(name)))
	}
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_PARTITIONED_METADATA_RESPONSE.Enum(), PartitionMetadataResponse: resp})
	return true
}

// handleLookup always answers "connect to me": the fake is the only broker
// and owns every topic.
func (c *conn) handleLookup(cmd *wire.CommandLookupTopic) bool {
	resp := &wire.CommandLookupTopicResponse{RequestId: proto.Uint64(cmd.GetRequestId())}
	if name, err := parseTopic(cmd.GetTopic()); err != nil {
		resp.Response = wire.CommandLookupTopicResponse_Failed.Enum()
		resp.Error, resp.Message = InvalidTopicName.pb(), proto.String(err.Error())
	} else if !c.s.canLookup(c.role, name) {
		resp.Response = wire.CommandLookupTopicResponse_Failed.Enum()
		resp.Error, resp.Message = AuthorizationError.pb(), proto.String("Client is not authorized to Lookup")
	} else {
		resp.Response = wire.CommandLookupTopicResponse_Connect.Enum()
		resp.BrokerServiceUrl = proto.String(c.s.serviceURL)
		if c.s.serviceURLTLS != "" {
			resp.BrokerServiceUrlTls = proto.String(c.s.serviceURLTLS)
		}
		resp.Authoritative = proto.Bool(true)
	}
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_LOOKUP_RESPONSE.Enum(), LookupResponse: resp})
	return true
}

func (c *conn) handleGetTopicsOfNamespace(cmd *wire.CommandGetTopicsOfNamespace) bool {
	var topics []string
	switch cmd.GetMode() {
	case wire.CommandGetTopicsOfNamespace_NON_PERSISTENT:
		topics = c.s.topicsIn(cmd.GetNamespace(), false, true)
	case wire.CommandGetTopicsOfNamespace_ALL:
		topics = c.s.topicsIn(cmd.GetNamespace(), true, true)
	default:
		topics = c.s.topicsIn(cmd.GetNamespace(), true, false)
	}
	kept := topics[:0]
	for _, t := range topics {
		if !isSystemTopic(t) {
			kept = append(kept, t)
		}
	}
	topics = kept
	resp := &wire.CommandGetTopicsOfNamespaceResponse{RequestId: proto.Uint64(cmd.GetRequestId())}
	if p := cmd.GetTopicsPattern(); p != "" {
		// The broker filters by the pattern itself when asked to.
		if re, err := regexp.Compile(p); err == nil {
			filtered := topics[:0]
			for _, t := range topics {
				if re.MatchString(strings.SplitN(t, "://", 2)[1]) || re.MatchString(t) {
					filtered = append(filtered, t)
				}
			}
			topics = filtered
			resp.Filtered = proto.Bool(true)
		}
	}
	h := sha256.New()
	for _, t := range topics {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	resp.Topics = topics
	resp.TopicsHash = proto.String(hex.EncodeToString(h.Sum(nil))[:16])
	c.send(&wire.BaseCommand{Type: wire.BaseCommand_GET_TOPICS_OF_NAMESPACE_RESPONSE.Enum(), GetTopicsOfNamespaceResponse: resp})
	return true
}
