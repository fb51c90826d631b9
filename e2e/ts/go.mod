// Not Go code: this module only keeps e2e/ts out of the main module, whose
// ./... would otherwise reach the Go files that npm installs in node_modules
// (the Temporal API's protos, inside @temporalio/core-bridge).
module github.com/temporal-ecs/temporal-ecs/e2e/ts

go 1.26.0
