package main

import (
	"testing"

	"github.com/brokerkit/brokerkit/fixtures"
)

func TestMain(m *testing.M) { fixtures.Main(m) }
