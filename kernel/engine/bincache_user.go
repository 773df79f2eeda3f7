package engine

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gokernel/gokernel/kernel/engine/bincache"
)

// EnvBinaryCache turns the binary cache of earlier kernels off ("off") or
// bounds it ("64MB", "1GB"; default bincache.DefaultMax).
const EnvBinaryCache = "GOKERNEL_BINCACHE"

// UserBinaryCache opens the cache of cell binaries shared by the user's
// kernels, in the user's cache directory (next to the go build cache), as
// $GOKERNEL_BINCACHE asks. It returns nil, after logging why, when the
// cache is off or cannot be opened: cells are then built as before.
func UserBinaryCache(log *slog.Logger) *bincache.Cache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		log.Info("no binary cache: no user cache directory", "err", err)
		return nil
	}
	c, err := bincache.FromEnv(os.Getenv(EnvBinaryCache), filepath.Join(dir, "gokernel", "bin"))
	switch {
	case errors.Is(err, bincache.ErrOff):
		return nil
	case err != nil:
		log.Warn("no binary cache", "err", err)
		return nil
	}
	return c
}
