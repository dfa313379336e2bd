// Package kafkaorders is a small service of the kind brokerkit is for: it
// consumes orders from one topic, prices them, and publishes a receipt per
// order to another topic, committing each order only after its receipt is
// written (at-least-once). Malformed orders go to a dead-letter topic.
package kafkaorders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/brokerkit/brokerkit/clients/kafkaclient"
)

// Order is what upstream services publish.
type Order struct {
	ID    string `json:"id"`
	Items []Item `json:"items"`
}

// Item is one order line.
type Item struct {
	SKU        string `json:"sku"`
	Quantity   int    `json:"qty"`
	PriceCents int64  `json:"price_cents"`
}

// Receipt is what the service publishes, keyed by order ID.
type Receipt struct {
	OrderID    string `json:"order_id"`
	TotalCents int64  `json:"total_cents"`
	Lines      int    `json:"lines"`
}

// Service wires the topics together.
type Service struct {
	Orders, Receipts, DeadLetters string
	In                            *kafkaclient.Client // a group consumer of Orders
	Out                           *kafkaclient.Client // a producer
}

// Run processes orders until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	for {
		msgs, err := s.In.Poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("poll orders: %w", err)
		}
		for _, m := range msgs {
			if err := s.handle(ctx, m); err != nil {
				return err
			}
			if err := s.In.Commit(ctx, m); err != nil {
				return fmt.Errorf("commit order at offset %d: %w", m.Offset, err)
			}
		}
	}
}

func (s *Service) handle(ctx context.Context, m kafkaclient.Message) error {
	receipt, err := Price(m.Value)
	out := kafkaclient.Message{Topic: s.Receipts, Key: m.Key}
	if err != nil {
		out = kafkaclient.Message{Topic: s.DeadLetters, Key: m.Key, Value: m.Value,
			Headers: []kafkaclient.Header{{Key: "error", Value: []byte(err.Error())}}}
	} else {
		out.Key = []byte(receipt.OrderID)
		out.Value, _ = json.Marshal(receipt)
	}
	if _, err := s.Out.Produce(ctx, out); err != nil {
		return fmt.Errorf("publish result of order at offset %d: %w", m.Offset, err)
	}
	return nil
}

// Price turns an order into a receipt.
func Price(raw []byte) (Receipt, error) {
	var o Order
	if err := json.Unmarshal(raw, &o); err != nil {
		return Receipt{}, fmt.Errorf("malformed order: %w", err)
	}
	if o.ID == "" {
		return Receipt{}, errors.New("order has no id")
	}
	r := Receipt{OrderID: o.ID, Lines: len(o.Items)}
	for _, it := range o.Items {
		if it.Quantity <= 0 {
			return Receipt{}, fmt.Errorf("order %s: item %s has quantity %d", o.ID, it.SKU, it.Quantity)
		}
		r.TotalCents += int64(it.Quantity) * it.PriceCents
	}
	return r, nil
}
