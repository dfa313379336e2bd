package pulsarfake

import (
	"encoding/json"
	"net/http"
	"slices"
)

// Authorization as the broker's PulsarAuthorizationProvider decides it for
// PRODUCER, SUBSCRIBE, LOOKUP and PARTITIONED_METADATA when authorizationEnabled is on (WithAuthorization):
// a superuser or an admin role of the topic's tenant may do anything; any
// other role needs the action granted on the namespace
// (namespaces/{t}/{ns}/permissions/{role}) or on the topic
// ({topic}/permissions/{role}), and, to consume, to be listed in the
// subscription's roles when the subscription has a non-empty list
// (namespaces/{t}/{ns}/permissions/subscription/{sub}).

// Actions of a permission grant that the broker checks for clients.
const (
	actionProduce = "produce"
	actionConsume = "consume"
)

// authorized answers whether role may do action on the topic n; sub is the
// subscription of a consumer ("" for a producer).
func (s *Server) authorized(role string, n topicName, action, sub string) bool {
	if !s.opts.authorization || slices.Contains(s.opts.superUsers, role) || s.isTenantAdmin(n.Tenant, role) {
		return true
	}
	if action == actionConsume && sub != "" {
		var roles []string
		if raw, ok := s.policies.get(n.Namespace, "subPermission:"+sub); ok {
			json.Unmarshal(raw, &roles)
		}
		if len(roles) > 0 && !slices.Contains(roles, role) {
			return false
		}
	}
	return s.granted(n.Namespace, role, action) || s.granted(n.Base, role, action)
}

// canLookup is the broker's LOOKUP check (also for PARTITIONED_METADATA):
// produce or consume.
func (s *Server) canLookup(role string, n topicName) bool {
	return s.authorized(role, n, actionProduce, "") || s.authorized(role, n, actionConsume, "")
}

// granted answers whether the permissions of scope (a namespace or a
// topic's base name) give role the action.
func (s *Server) granted(scope, role, action string) bool {
	raw, ok := s.policies.get(scope, "permission:"+role)
	if !ok {
		return false
	}
	var actions []string
	json.Unmarshal(raw, &actions)
	return slices.Contains(actions, action)
}

func (s *Server) isTenantAdmin(tenant, role string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.tenants[tenant]
	return info != nil && slices.Contains(info.AdminRoles, role)
}

// authorizeProducer is the broker's PRODUCE check, plus SUBSCRIBE on the
// initial subscription a producer asks for.
func (c *conn) authorizeProducer(n topicName, initialSub string) error {
	ok := c.s.authorized(c.role, n, actionProduce, "")
	if ok && initialSub != "" {
		ok = c.s.authorized(c.role, n, actionConsume, initialSub)
	}
	if !ok {
		c.s.log.Info("pulsarfake: not authorized to produce", "role", c.role, "topic", n.Full)
		return errorf(AuthorizationError, "Client is not authorized to Produce")
	}
	return nil
}

// authorizeConsumer is the broker's SUBSCRIBE check.
func (c *conn) authorizeConsumer(n topicName, sub string) error {
	if !c.s.authorized(c.role, n, actionConsume, sub) {
		c.s.log.Info("pulsarfake: not authorized to subscribe", "role", c.role, "topic", n.Full, "subscription", sub)
		return errorf(AuthorizationError, "Client is not authorized to subscribe")
	}
	return nil
}

// adminTopicPermissionRoutes are the topic-level grants: GET answers the
// namespace's grants merged with the topic's, as the broker does.
func (s *Server) adminTopicPermissionRoutes(on func(string, func(*http.Request, topicName) (any, error)), tp string) {
	on("GET "+tp+"/permissions", func(_ *http.Request, n topicName) (any, error) {
		out := map[string][]string{}
		for _, scope := range []string{n.Namespace, n.Base} {
			for role, raw := range s.policies.withPrefix(scope, "permission:") {
				var actions []string
				json.Unmarshal(raw, &actions)
				for _, a := range actions {
					if !slices.Contains(out[role], a) {
						out[role] = append(out[role], a)
					}
				}
			}
		}
		return out, nil
	})
	on("POST "+tp+"/permissions/{role}", func(r *http.Request, n topicName) (any, error) {
		if err := s.needNamespace(n.Namespace); err != nil {
			return nil, err
		}
		raw, err := readActions(r)
		if err != nil {
			return nil, err
		}
		s.policies.set(n.Base, "permission:"+param(r, "role"), raw)
		return nil, nil
	})
	on("DELETE "+tp+"/permissions/{role}", func(r *http.Request, n topicName) (any, error) {
		key := "permission:" + param(r, "role")
		if _, ok := s.policies.get(n.Base, key); !ok {
			return nil, herr(http.StatusPreconditionFailed, "Permissions are not set at the topic level")
		}
		s.policies.del(n.Base, key)
		return nil, nil
	})
}

// readActions reads and checks the AuthAction set of a grant.
func readActions(r *http.Request) (json.RawMessage, error) {
	var actions []string
	if err := decodeBody(r, &actions); err != nil {
		return nil, err
	}
	for _, a := range actions {
		if !validAuthAction(a) {
			return nil, herr(http.StatusBadRequest, "Invalid auth action %q", a)
		}
	}
	raw, _ := json.Marshal(nonNil(actions))
	return raw, nil
}
