// Command starter starts an example parent workflow and prints its result:
//
//	go run ./examples/starter sequence
//	go run ./examples/starter fanout
//
// The examples' worker and the temporal-ecs worker must be running.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/examples"
	"github.com/temporal-ecs/temporal-ecs/examples/fanout"
	"github.com/temporal-ecs/temporal-ecs/examples/sequence"
)

func shell(script string) job.Config {
	return job.Config{Image: "alpine:3.20", Command: job.Command{"sh", "-c", script}}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatalln("usage: starter sequence|fanout")
	}
	c, err := client.Dial(envconfig.MustLoadDefaultClientOptions())
	if err != nil {
		log.Fatalln("connect to Temporal:", err)
	}
	defer c.Close()
	opts := client.StartWorkflowOptions{TaskQueue: examples.TaskQueue}
	var run client.WorkflowRun
	switch os.Args[1] {
	case "sequence":
		run, err = c.ExecuteWorkflow(context.Background(), opts, sequence.ExtractLoad, sequence.Input{
			Extract: shell("echo extracting"), Load: shell("echo loading"),
		})
	case "fanout":
		run, err = c.ExecuteWorkflow(context.Background(), opts, fanout.Parallel, []job.Config{
			shell("exit 0"), shell("exit 3"), shell("sleep 1; exit 0"),
		})
	default:
		log.Fatalln("usage: starter sequence|fanout")
	}
	if err != nil {
		log.Fatalln("start:", err)
	}
	var out any
	if err := run.Get(context.Background(), &out); err != nil {
		log.Fatalln("workflow", run.GetID(), "failed:", err)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
}
