package config

import (
	"strings"
	"testing"
)

func TestFilesDefaults(t *testing.T) {
	c, err := Load(nil, []string{"BCRYPT_COST=4"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Files.MaxUpload() != 100<<20 || c.Files.Workers() != 2 || c.Files.Queue() != 64 {
		t.Fatalf("defaults: %d %d %d", c.Files.MaxUpload(), c.Files.Workers(), c.Files.Queue())
	}
	if _, ok, err := c.Files.S3(); ok || err != nil {
		t.Fatalf("default storage is local: ok=%v err=%v", ok, err)
	}
}

func TestFilesFromEnv(t *testing.T) {
	c, err := Load([]string{"-upload-max-bytes", "5M"}, []string{
		"STORAGE_URL=s3://files?endpoint=http://minio:9000&region=us-east-1",
		"AWS_ACCESS_KEY_ID=ak", "AWS_SECRET_ACCESS_KEY=sk",
		"UPLOAD_MAX_BYTES=1G", "THUMBNAIL_WORKERS=3", "THUMBNAIL_QUEUE=10",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Files.MaxUpload() != 5<<20 { // the flag wins
		t.Fatalf("max upload %d", c.Files.MaxUpload())
	}
	o, ok, err := c.Files.S3()
	if err != nil || !ok || o.Bucket != "files" || o.Endpoint != "minio:9000" || o.AccessKey != "ak" || o.SecretKey != "sk" {
		t.Fatalf("S3 = %+v %v %v", o, ok, err)
	}
	if c.Files.Workers() != 3 || c.Files.Queue() != 10 {
		t.Fatal("pool settings not read")
	}
}

func TestFilesInvalid(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"STORAGE_URL=ftp://x", "STORAGE_URL"},
		{"STORAGE_URL=s3://?endpoint=x", "bucket"},
		{"UPLOAD_MAX_BYTES=lots", "UPLOAD_MAX_BYTES"},
		{"UPLOAD_MAX_BYTES=-5", "UPLOAD_MAX_BYTES"},
		{"UPLOAD_MAX_BYTES=100T", "UPLOAD_MAX_BYTES"},
		{"THUMBNAIL_WORKERS=-1", "THUMBNAIL_WORKERS"},
		{"THUMBNAIL_QUEUE=x", "THUMBNAIL_QUEUE"},
	} {
		_, err := Load(nil, []string{tc.env})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %s", tc.env, err, tc.want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "512K": 512 << 10, "100M": 100 << 20, "100MB": 100 << 20, "2g": 2 << 30, "1MiB": 1 << 20} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
