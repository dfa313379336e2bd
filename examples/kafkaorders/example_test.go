package kafkaorders_test

import (
	"fmt"

	"github.com/brokerkit/brokerkit/examples/kafkaorders"
)

// Price is the pure part of the service; orders_test.go tests the rest
// through kafkatest.
func ExamplePrice() {
	r, err := kafkaorders.Price([]byte(`{"id":"o-1","items":[{"sku":"a","qty":4,"price_cents":25}]}`))
	fmt.Println(r.OrderID, r.TotalCents, r.Lines, err)
	// Output: o-1 100 1 <nil>
}
