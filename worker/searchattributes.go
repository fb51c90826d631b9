package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// searchAttributesRegistered reports whether the namespace has every
// search attribute of RunECSTask with its type. When not, the workflows
// run without upserting them (an unknown one would fail their workflow
// tasks), and one line says how to register them.
func searchAttributesRegistered(ctx context.Context, tc client.Client, namespace string, logger *slog.Logger) bool {
	resp, err := tc.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		logger.Warn("cannot list the namespace's search attributes: workflows will not upsert theirs", "namespace", namespace, "error", err)
		return false
	}
	byType := map[string][]string{}
	var missing []string
	for _, k := range workflows.SearchAttributes {
		typ := k.GetValueType()
		if got, ok := resp.GetCustomAttributes()[k.GetName()]; !ok || got != typ {
			missing = append(missing, k.GetName())
			byType[typ.String()] = append(byType[typ.String()], k.GetName())
		}
	}
	if len(missing) == 0 {
		return true
	}
	var cmds []string
	for _, typ := range []string{"Keyword", "Int"} {
		if names := byType[typ]; len(names) > 0 {
			cmds = append(cmds, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type %s",
				namespace, strings.Join(names, " --name "), typ))
		}
	}
	logger.Warn("search attributes "+strings.Join(missing, ", ")+" are not registered in namespace "+namespace+
		": workflows run without them, and cannot be found by task ARN; register them with: "+strings.Join(cmds, " && "),
		"namespace", namespace)
	return false
}
