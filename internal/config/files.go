package config

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/campfire-go/campfire/internal/blob"
)

// Files is what an operator sets for blob storage and uploads. The zero
// value means the defaults.
type Files struct {
	// StorageURL (STORAGE_URL, -storage-url) puts files in an
	// S3-compatible bucket: s3://bucket[/prefix]?endpoint=host:port&region=…
	// with credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	// Empty keeps them on local disk under STORAGE_PATH/files, which
	// several instances may share only as one shared volume.
	StorageURL string
	// UploadMaxBytes caps one uploaded file (UPLOAD_MAX_BYTES, in bytes or
	// with a K, M or G suffix in binary units). Zero means 100M.
	UploadMaxBytes int64
	// ThumbnailWorkers make thumbnails at once (THUMBNAIL_WORKERS); zero
	// means 2. ThumbnailQueue bounds images waiting for one
	// (THUMBNAIL_QUEUE); zero means 64. Past it an image waits for the
	// next sweep of pending thumbnails instead.
	ThumbnailWorkers, ThumbnailQueue int
	// AccessKey and SecretKey for S3 (AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY); empty lets the client find them itself
	// (~/.aws, an instance role).
	AccessKey, SecretKey string
}

// DefaultUploadMaxBytes is the upload limit when UPLOAD_MAX_BYTES is unset.
const DefaultUploadMaxBytes = 100 << 20

// MaxUpload is the upload limit in force.
func (f Files) MaxUpload() int64 {
	if f.UploadMaxBytes == 0 {
		return DefaultUploadMaxBytes
	}
	return f.UploadMaxBytes
}

// Workers and Queue are the thumbnail pool's size in force.
func (f Files) Workers() int { return cmpOr(f.ThumbnailWorkers, 2) }
func (f Files) Queue() int   { return cmpOr(f.ThumbnailQueue, 64) }

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// LocalDir is where local storage keeps files under STORAGE_PATH.
func LocalDir(storagePath string) string { return filepath.Join(storagePath, "files") }

// S3 parses StorageURL; ok is false for local storage.
func (f Files) S3() (o blob.S3Options, ok bool, err error) {
	if f.StorageURL == "" {
		return o, false, nil
	}
	o, err = blob.ParseS3URL(f.StorageURL)
	o.AccessKey, o.SecretKey = f.AccessKey, f.SecretKey
	return o, err == nil, err
}

func (f *Files) fromEnv(env map[string]string) error {
	f.StorageURL = env["STORAGE_URL"]
	f.AccessKey, f.SecretKey = env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
	if v := env["UPLOAD_MAX_BYTES"]; v != "" {
		n, err := parseBytes(v)
		if err != nil {
			return fmt.Errorf("UPLOAD_MAX_BYTES=%q is not a size (e.g. 104857600 or 100M)", v)
		}
		f.UploadMaxBytes = n
	}
	for _, n := range []struct {
		key string
		dst *int
	}{{"THUMBNAIL_WORKERS", &f.ThumbnailWorkers}, {"THUMBNAIL_QUEUE", &f.ThumbnailQueue}} {
		if v := env[n.key]; v != "" {
			x, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%s=%q is not a number", n.key, v)
			}
			*n.dst = x
		}
	}
	return nil
}

func (f *Files) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.StorageURL, "storage-url", f.StorageURL, "S3-compatible storage for files (s3://bucket?endpoint=…)")
	fs.Func("upload-max-bytes", "largest uploaded file (bytes, or 100M)", func(v string) error {
		n, err := parseBytes(v)
		if err != nil {
			return fmt.Errorf("%q is not a size (e.g. 100M)", v)
		}
		f.UploadMaxBytes = n
		return nil
	})
}

func (f Files) validate() []error {
	var errs []error
	if _, _, err := f.S3(); err != nil {
		errs = append(errs, err)
	}
	if f.UploadMaxBytes < 0 || f.UploadMaxBytes > 64<<30 {
		errs = append(errs, fmt.Errorf("UPLOAD_MAX_BYTES=%d must be between 1 and 64G", f.UploadMaxBytes))
	}
	if f.ThumbnailWorkers < 0 || f.ThumbnailWorkers > 64 {
		errs = append(errs, fmt.Errorf("THUMBNAIL_WORKERS=%d must be between 1 and 64", f.ThumbnailWorkers))
	}
	if f.ThumbnailQueue < 0 || f.ThumbnailQueue > 100_000 {
		errs = append(errs, fmt.Errorf("THUMBNAIL_QUEUE=%d must be between 1 and 100000", f.ThumbnailQueue))
	}
	return errs
}

// parseBytes reads "1048576", "512K", "100M" or "2G" (binary units).
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "I")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (64<<30)/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}
