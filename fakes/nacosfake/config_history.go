package nacosfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config history, kept as Nacos's embedded (Derby) store keeps
// his_config_info: one row per insert, update and delete of a formal
// config, holding the content *after* an insert and *before* an update or
// delete. nid numbers rows from 1; id is the config's id for updates and
// deletes but a fresh history id for inserts (addConfigInfo passes hisId),
// so /previous?id=<config id> finds the row of the latest update or delete.
// History lives in memory only: a restart from a data dir starts it afresh.

type historyEntry struct {
	nid, id          int64
	tenant, group    string
	dataID, appName  string
	content, md5     string
	encryptedDataKey string
	srcIP, srcUser   string
	opType           string // "I", "U" or "D"
	extInfo          string
	modified         time.Time
}

// derbyCreated is his_config_info.gmt_create's column default, which
// inserts never set.
var derbyCreated = time.Date(2010, 5, 5, 0, 0, 0, 0, time.UTC)

// recordHistoryLocked appends one history row; c is the config after an
// insert, else the one before the change. s.mu must be held.
func (s *Server) recordHistoryLocked(op string, c *Config, srcIP, srcUser string) {
	s.historyNid++
	id := configIDNum(*c)
	if op == "I" {
		s.historyIDs++
		id = s.historyIDs
	}
	// ext_info: on insert from the publish (src_user first), else from the
	// stored config (which keeps no creator here).
	ext := "{}"
	switch {
	case op == "I" && srcUser != "":
		ext = string(mustJSON(map[string]string{"src_user": srcUser, "type": c.Type}))
	case c.Type != "":
		ext = string(mustJSON(map[string]string{"type": c.Type}))
	}
	s.history = append(s.history, &historyEntry{
		nid: s.historyNid, id: id, tenant: c.Tenant, group: c.Group, dataID: c.DataID, appName: c.AppName,
		content: c.Content, md5: md5Hex(c.Content), encryptedDataKey: c.EncryptedDataKey,
		srcIP: srcIP, srcUser: srcUser, opType: op, extInfo: ext, modified: s.now(),
	})
}

// historyJSON is a ConfigHistoryInfo as Jackson writes it. The list query
// selects no md5, content or encryptedDataKey (null); op_type is Derby's
// CHAR(10), padded with spaces.
func (h *historyEntry) historyJSON(detail bool) map[string]any {
	m := map[string]any{
		"id": itoa64(h.nid), "lastId": -1, "dataId": h.dataID, "group": h.group, "tenant": h.tenant,
		"appName": h.appName, "md5": nil, "content": nil, "srcIp": h.srcIP, "srcUser": nullIfEmpty(h.srcUser),
		"opType": h.opType + strings.Repeat(" ", 10-len(h.opType)), "publishType": "formal", "grayName": "",
		"extInfo": h.extInfo, "createdTime": derbyCreated.Format(springTime),
		"lastModifiedTime": h.modified.UTC().Format(springTime), "encryptedDataKey": nil,
	}
	if detail {
		m["md5"], m["content"], m["encryptedDataKey"] = h.md5, h.content, h.encryptedDataKey
	}
	return m
}

func configIDNum(c Config) int64 {
	n, _ := strconv.ParseInt(configID(c), 10, 64)
	return n
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// srcUser is RequestUtil.getSrcUserName after the controllers' explicit
// parameter: the authenticated user, else the username parameter.
func srcUser(explicit string, q url.Values, r *http.Request) string {
	if explicit != "" {
		return explicit
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		if tok = r.Header.Get("accessToken"); tok == "" {
			tok = q.Get("accessToken")
		}
	}
	if parts := strings.Split(tok, "."); len(parts) == 3 {
		var claims struct {
			Sub string `json:"sub"`
		}
		if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil && json.Unmarshal(b, &claims) == nil && claims.Sub != "" {
			return claims.Sub
		}
	}
	if u := r.Header.Get("username"); u != "" {
		return u
	}
	return q.Get("username")
}
