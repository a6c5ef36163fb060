package engine

import (
	"context"
	"errors"

	"github.com/campfire-go/campfire/internal/config"
	"github.com/campfire-go/campfire/internal/store"
)

func openPostgres(ctx context.Context, cfg config.Config, url string, noMigrate bool) (store.Store, error) {
	return nil, errors.New("DATABASE_URL: postgres:// is not wired yet")
}

func (e *Engine) openRedis(ctx context.Context, cfg config.Config) error {
	return errors.New("REDIS_URL: multi-instance mode is not wired yet")
}
