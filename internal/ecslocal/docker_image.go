package ecslocal

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// pull makes image available on the engine: an image already there is
// used as it is (as ECS_IMAGE_PULL_BEHAVIOR=prefer-cached does), a missing
// one is pulled. The error reads as Docker's, which ECS quotes after
// "CannotPullContainerError: ".
func (r *dockerRuntime) pull(ctx context.Context, image string) error {
	ictx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	_, err := r.cli.ImageInspect(ictx, image)
	cancel()
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspecting image %s: %w", image, err)
	}
	r.log.Info("ecslocal: pulling image", "image", image)
	resp, err := r.cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return fmt.Errorf("pulling image %s: %w", image, err)
	}
	if err := resp.Wait(ctx); err != nil {
		return fmt.Errorf("pulling image %s: %w", image, err)
	}
	return nil
}
