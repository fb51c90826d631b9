// Command worker hosts the example parent workflows on the task queue
// ecs-examples. Their RunECSTask children run on the temporal-ecs worker
// (task queue ecs-tasks), which must be running too. The Temporal
// connection comes from the SDK's environment configuration
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...).
package main

import (
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ecs/temporal-ecs/examples"
)

func main() {
	c, err := client.Dial(envconfig.MustLoadDefaultClientOptions())
	if err != nil {
		log.Fatalln("connect to Temporal:", err)
	}
	defer c.Close()
	w := worker.New(c, examples.TaskQueue, worker.Options{})
	examples.Register(w)
	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatalln("worker:", err)
	}
}
