package schemaregistryfake_test

import (
	"errors"
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/rest"

	"github.com/brokerkit/brokerkit/fakes/schemaregistryfake"
)

func Example() {
	srv, err := schemaregistryfake.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := schemaregistry.NewClient(schemaregistry.NewConfig(srv.URL()))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	v1 := `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`
	id, err := c.Register("orders-value", schemaregistry.SchemaInfo{Schema: v1}, false)
	if err != nil {
		panic(err)
	}
	// A new required field without a default breaks BACKWARD compatibility.
	v2 := `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int"}]}`
	ok, err := c.TestCompatibility("orders-value", -1, schemaregistry.SchemaInfo{Schema: v2})
	if err != nil {
		panic(err)
	}
	_, err = c.Register("orders-value", schemaregistry.SchemaInfo{Schema: v2}, false)
	var re *rest.Error
	fmt.Println(id, ok, errors.As(err, &re), re.Code)
	// Output: 1 false true 409
}
