package kafkafake

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/brokerkit/brokerkit/fakes/kafkafake/internal/reqcheck"
)

// maxTopicNameLen is Kafka's limit (Topic.MAX_NAME_LENGTH).
const maxTopicNameLen = 249

// errInvalidTopicCode is INVALID_TOPIC_EXCEPTION.
const errInvalidTopicCode = 17

// ValidateTopicName reports why Kafka would refuse name as a topic name
// (org.apache.kafka.common.internals.Topic.validate): it must be 1 to 249
// characters of [a-zA-Z0-9._-], and neither "." nor "..".
func ValidateTopicName(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "the empty string is not allowed"
	case name == ".", name == "..":
		reason = fmt.Sprintf("'%s' is not allowed", name)
	case len(name) > maxTopicNameLen:
		reason = fmt.Sprintf("the length of '%s' is longer than the max allowed length %d", name, maxTopicNameLen)
	default:
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
				reason = fmt.Sprintf("'%s' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'", name)
				break
			}
		}
	}
	if reason == "" {
		return nil
	}
	return errors.New("Topic name is invalid: " + reason)
}

// filterTopicNames takes topics with invalid names out of a CreateTopics or
// Metadata request before kfake sees it (kfake would create them) and
// remembers them, so the response gets INVALID_TOPIC_EXCEPTION for each, as
// Kafka answers (CreateTopics per topic; Metadata whether or not
// auto-creation is on: KafkaApis.getTopicMetadata and
// AutoTopicCreationManager.filterCreatableTopics).
func (c *conn) filterTopicNames(key, version int16, corr int32, body []byte) {
	hl := reqcheck.HeaderLen(body)
	if hl < 0 {
		return
	}
	req := kmsg.RequestForKey(key)
	req.SetVersion(version)
	if req.ReadFrom(body[hl:]) != nil {
		return // kfake closes the connection on it
	}
	var invalid []string
	switch r := req.(type) {
	case *kmsg.CreateTopicsRequest:
		kept := make([]kmsg.CreateTopicsRequestTopic, 0, len(r.Topics))
		for _, t := range r.Topics {
			if ValidateTopicName(t.Topic) != nil {
				invalid = append(invalid, t.Topic)
			} else {
				kept = append(kept, t)
			}
		}
		r.Topics = kept
	case *kmsg.MetadataRequest:
		if r.Topics == nil {
			return
		}
		kept := make([]kmsg.MetadataRequestTopic, 0, len(r.Topics))
		for _, t := range r.Topics {
			if t.Topic != nil && ValidateTopicName(*t.Topic) != nil {
				invalid = append(invalid, *t.Topic)
			} else {
				kept = append(kept, t)
			}
		}
		r.Topics = kept // never nil: an empty list asks for no topics
	}
	if len(invalid) == 0 {
		return
	}
	out := append(make([]byte, 4, 4+len(body)), body[:hl]...)
	out = req.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	c.rbuf, c.roff = out, 0
	c.expect(corr, pendingResp{kind: respTopicNames, key: key, version: version, invalid: invalid})
}

// addInvalidTopics puts the topics filterTopicNames took out back into the
// response, each with INVALID_TOPIC_EXCEPTION.
func addInvalidTopics(frame []byte, p pendingResp) []byte {
	req := kmsg.RequestForKey(p.key)
	req.SetVersion(p.version)
	resp := req.ResponseKind()
	resp.SetVersion(p.version)
	body, ok := responseBody(frame, resp)
	if !ok {
		return frame
	}
	if resp.ReadFrom(body) != nil {
		return frame
	}
	switch r := resp.(type) {
	case *kmsg.CreateTopicsResponse:
		for _, name := range p.invalid {
			t := kmsg.NewCreateTopicsResponseTopic()
			t.Topic = name
			t.ErrorCode = errInvalidTopicCode
			msg := ValidateTopicName(name).Error()
			t.ErrorMessage = &msg
			r.Topics = append(r.Topics, t)
		}
	case *kmsg.MetadataResponse:
		for _, name := range p.invalid {
			t := kmsg.NewMetadataResponseTopic()
			t.Topic = &name
			t.ErrorCode = errInvalidTopicCode
			r.Topics = append(r.Topics, t)
		}
	}
	return appendResponse(frame, resp)
}

// dropInvalidPersistedTopics removes topics Kafka would not accept from a
// data dir's topics.json before kfake loads it: one bad entry (a name too
// long for a file name) would otherwise fail every start. An unreadable
// topics.json is moved aside. Each is logged as an error.
func dropInvalidPersistedTopics(dir string, logger *slog.Logger) error {
	path := filepath.Join(dir, "topics.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	var doc map[string]json.RawMessage
	var topics []json.RawMessage
	if err = json.Unmarshal(raw, &doc); err == nil && doc["topics"] != nil {
		err = json.Unmarshal(doc["topics"], &topics)
	}
	if err != nil || doc == nil {
		aside := path + ".unreadable"
		logger.Error("kafkafake: data dir: topics.json unreadable, moved aside; its topics are not loaded", "path", aside, "error", err)
		return os.Rename(path, aside)
	}
	kept := topics[:0]
	for _, t := range topics {
		var named struct {
			Name string `json:"name"`
		}
		reason := json.Unmarshal(t, &named)
		if reason == nil {
			if reason = ValidateTopicName(named.Name); reason == nil {
				kept = append(kept, t)
				continue
			}
		}
		logger.Error("kafkafake: data dir: skipping a persisted topic Kafka would not accept", "topic", named.Name, "error", reason)
	}
	if len(kept) == len(topics) {
		return nil
	}
	if doc["topics"], err = json.Marshal(kept); err != nil {
		return err
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
