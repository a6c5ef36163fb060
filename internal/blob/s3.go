package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options locate a bucket in an S3-compatible store.
type S3Options struct {
	Bucket string
	// Prefix starts every object name ("" or ending in "/").
	Prefix string
	// Endpoint is host[:port]; Secure says https.
	Endpoint string
	Secure   bool
	Region   string
	// PathStyle addresses the bucket as endpoint/bucket rather than
	// bucket.endpoint (MinIO, Garage, SeaweedFS and test servers need it).
	PathStyle bool
	// AccessKey and SecretKey; empty takes them from the environment's
	// usual chain (AWS_* variables, ~/.aws, an instance role).
	AccessKey, SecretKey string
	// PartSize is the multipart chunk and so the memory one upload holds
	// (at least 5 MiB). Zero means 8 MiB.
	PartSize uint64
}

// ParseS3URL reads STORAGE_URL's form:
// s3://bucket[/prefix]?endpoint=[http(s)://]host[:port]&region=…&path_style=1.
// Without endpoint it is AWS S3 over https.
func ParseS3URL(raw string) (S3Options, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" {
		return S3Options{}, errors.New("STORAGE_URL must look like s3://bucket?endpoint=host:port&region=…")
	}
	o := S3Options{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Secure: true, Endpoint: "s3.amazonaws.com"}
	if o.Bucket == "" {
		return o, errors.New("STORAGE_URL names no bucket (s3://bucket?…)")
	}
	if o.Prefix != "" {
		if err := CheckKey(o.Prefix); err != nil {
			return o, fmt.Errorf("STORAGE_URL prefix %q: use lower-case letters, digits, '.', '_', '-' and '/'", o.Prefix)
		}
		o.Prefix += "/"
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "endpoint", "region", "path_style":
		default:
			return o, fmt.Errorf("STORAGE_URL has an unknown parameter %q (endpoint, region, path_style)", k)
		}
	}
	if q.Has("endpoint") {
		ep := q.Get("endpoint")
		switch {
		case strings.HasPrefix(ep, "http://"):
			o.Secure, ep = false, strings.TrimPrefix(ep, "http://")
		case strings.HasPrefix(ep, "https://"):
			ep = strings.TrimPrefix(ep, "https://")
		}
		ep = strings.TrimSuffix(ep, "/")
		if ep == "" || strings.ContainsAny(ep, "/?#@") {
			return o, fmt.Errorf("STORAGE_URL endpoint %q is not host[:port]", q.Get("endpoint"))
		}
		o.Endpoint = ep
		// Anything but AWS itself is usually addressed by path.
		o.PathStyle = true
	}
	o.Region = q.Get("region")
	if v := q.Get("path_style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, fmt.Errorf("STORAGE_URL path_style=%q is not a boolean", v)
		}
		o.PathStyle = b
	}
	return o, nil
}

// S3 stores objects in a bucket of an S3-compatible service through
// minio-go. Uploads are streamed in parts of PartSize, so one upload holds
// at most about two parts in memory, whatever the file's size.
type S3 struct {
	c      *minio.Client
	bucket string
	prefix string
	part   uint64
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket (without a request: Check does one).
func NewS3(o S3Options) (*S3, error) {
	var creds *credentials.Credentials
	if o.AccessKey != "" || o.SecretKey != "" {
		creds = credentials.NewStaticV4(o.AccessKey, o.SecretKey, "")
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}, &credentials.IAM{},
		})
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(o.Endpoint, &minio.Options{
		Creds: creds, Secure: o.Secure, Region: o.Region, BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: S3 client: %w", err)
	}
	part := o.PartSize
	if part == 0 {
		part = 8 << 20
	}
	part = max(part, 5<<20)
	return &S3{c: c, bucket: o.Bucket, prefix: o.Prefix, part: part}, nil
}

// Check asks the service whether the bucket exists (for start-up and
// /ready).
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob: S3 bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob: S3 bucket %s does not exist", s.bucket)
	}
	return nil
}

func (s *S3) Put(ctx context.Context, key string, r io.Reader, contentType string) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	// A file that fits in one part goes up in one request with its
	// length; a longer one as a multipart upload, which minio-go aborts
	// on failure, so nothing is left at key.
	buf := make([]byte, s.part)
	n, err := io.ReadFull(r, buf)
	// Unsigned payloads: the transport (https) protects the bytes, and
	// aws-chunked signing is not understood by every S3-compatible server.
	opts := minio.PutObjectOptions{ContentType: contentType, PartSize: s.part, DisableContentSha256: true}
	var info minio.UploadInfo
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		info, err = s.c.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(buf[:n]), int64(n), opts)
	case err != nil:
		return 0, fmt.Errorf("blob: reading %s: %w", key, err)
	default:
		info, err = s.c.PutObject(ctx, s.bucket, s.prefix+key, io.MultiReader(bytes.NewReader(buf), r), -1, opts)
	}
	if err != nil {
		return 0, fmt.Errorf("blob: writing %s: %w", key, err)
	}
	return info.Size, nil
}

func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	obj, err := s.c.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.err(key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		return nil, s.err(key, err)
	}
	return &s3Object{Object: obj, info: st}, nil
}

func (s *S3) err(key string, err error) error {
	if r := minio.ToErrorResponse(err); r.Code == "NoSuchKey" || r.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return fmt.Errorf("blob: reading %s: %w", key, err)
}

func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	err := s.c.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchKey" {
		return fmt.Errorf("blob: deleting %s: %w", key, err)
	}
	return nil
}

type s3Object struct {
	*minio.Object
	info minio.ObjectInfo
}

func (o *s3Object) Size() int64        { return o.info.Size }
func (o *s3Object) ModTime() time.Time { return o.info.LastModified }
func (o *s3Object) ContentType() string {
	if o.info.ContentType == "" {
		return "application/octet-stream"
	}
	return o.info.ContentType
}
