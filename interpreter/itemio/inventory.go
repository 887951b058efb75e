package itemio

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// maxManifestBytes bounds an S3 inventory's manifest.json, which is read
// whole: it lists files, not objects, so even a billion-object inventory's
// manifest is small.
const maxManifestBytes = 16 << 20

// inventoryManifest is the manifest.json of an Amazon S3 Inventory report,
// the fields Step Functions uses.
type inventoryManifest struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"` // arn:aws:s3:::bucket
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"` // "Bucket, Key, Size, LastModifiedDate"
	Files             []struct {
		Key string `json:"key"`
	} `json:"files"`
}

// openInventory reads an inventory's manifest (InputType MANIFEST) and
// returns the items of its data files: one object per CSV row, keyed by
// the manifest's fileSchema, every value a string, as the Developer Guide
// shows ({"LastModifiedDate": "2022-11-16T00:29:32.000Z", "Bucket": …,
// "Size": "3399671", "Key": …}). Every data file must be readable under
// the server's grants; that is checked for all of them before the first
// is requested.
func (x *IO) openInventory(streamCtx context.Context, bucket, source string, body io.Reader) (*inventory, error) {
	data, err := io.ReadAll(io.LimitReader(body, maxManifestBytes+1))
	if err != nil {
		if streamCtx.Err() != nil {
			return nil, streamCtx.Err()
		}
		return nil, failure.Newf(failure.ItemReaderFailed, "reading %s failed: %v", source, err)
	}
	if len(data) > maxManifestBytes {
		return nil, failure.Newf(failure.ItemReaderFailed, "the inventory manifest %s is larger than %d bytes", source, maxManifestBytes)
	}
	var m inventoryManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, failure.Newf(failure.ItemReaderFailed, "%s is not an S3 inventory manifest: %v", source, err)
	}
	if m.FileFormat != "CSV" {
		return nil, failure.Newf(failure.ItemReaderFailed, "the inventory %s is in %q format; only CSV inventories can be read", source, m.FileFormat)
	}
	var headers []string
	for _, h := range strings.Split(m.FileSchema, ",") {
		if h = strings.TrimSpace(h); h != "" {
			headers = append(headers, h)
		}
	}
	if len(headers) == 0 {
		return nil, failure.Newf(failure.ItemReaderFailed, "the inventory manifest %s has no fileSchema", source)
	}
	if ferr := checkHeaders(headers); ferr != nil {
		return nil, ferr
	}
	// The data files are in the inventory's destination bucket, which is
	// normally the manifest's own.
	dataBucket := bucket
	if m.DestinationBucket != "" {
		_, name, ok := strings.Cut(m.DestinationBucket, ":::")
		if !ok || name == "" {
			return nil, failure.Newf(failure.ItemReaderFailed, "the inventory manifest %s has destinationBucket %q, not an S3 bucket ARN", source, m.DestinationBucket)
		}
		dataBucket = name
	}
	v := &inventory{x: x, ctx: streamCtx, bucket: dataBucket, headers: headers, manifest: source}
	for _, f := range m.Files {
		if _, _, ferr := x.storeFor(reading, dataBucket, f.Key); ferr != nil {
			return nil, ferr
		}
		v.keys = append(v.keys, f.Key)
	}
	return v, nil
}

// inventory is the items of an inventory's data files, one file at a time.
type inventory struct {
	x        *IO
	ctx      context.Context // the stream's
	bucket   string
	keys     []string
	headers  []string
	manifest string
	nextFile int // the next file
	cur      *csvItems
	body     io.ReadCloser
	src      string
}

func (v *inventory) next(ctx context.Context) (value.Value, bool, error) {
	for {
		if v.cur == nil {
			if v.nextFile == len(v.keys) {
				return nil, false, nil
			}
			key := v.keys[v.nextFile]
			v.nextFile++
			store, client, ferr := v.x.storeFor(reading, v.bucket, key)
			if ferr != nil {
				return nil, false, ferr
			}
			body, err := openS3(v.ctx, store, client, v.bucket, key, "")
			if err != nil {
				return nil, false, err
			}
			v.body, v.src = body, "s3://"+v.bucket+"/"+key
			r, err := decompress(ctx, v.ctx, key, v.src, body)
			if err != nil {
				return nil, false, err
			}
			v.cur = newCSVItems(r, v.src, ',', v.headers, v.x.maxItemBytes)
		}
		item, ok, err := v.cur.next(ctx)
		if err != nil || ok {
			return item, ok, err
		}
		v.body.Close()
		v.body, v.cur = nil, nil
	}
}

// source is the data file being read: $$.Map.Item.Source of its items.
func (v *inventory) source() string {
	if v.src == "" {
		return v.manifest
	}
	return v.src
}

func (v *inventory) Close() error {
	if v.body != nil {
		return v.body.Close()
	}
	return nil
}
