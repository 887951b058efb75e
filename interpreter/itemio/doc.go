// Package itemio reads a Distributed Map's items from outside (ItemReader)
// and writes its results outside (ResultWriter), against S3-compatible
// object stores (MinIO, Ceph, versitygw, AWS S3) and, as sfn's non-portable
// extension, HTTP(S) URLs. The engine evaluates the reader's and writer's
// Parameters; this package does the I/O and the parsing, exactly as AWS
// parses, and answers with States.ItemReaderFailed and
// States.ResultWriterFailed in AWS's words where AWS has recorded them.
//
// # Object stores file
//
// LoadConfig reads the stores from a JSON file:
//
//	{
//	  "objectStores": [
//	    {
//	      "name": "minio",
//	      "endpoint": "http://127.0.0.1:9000",
//	      "region": "us-east-1",
//	      "accessKeyId": "${MINIO_ACCESS_KEY}",
//	      "secretAccessKey": "${MINIO_SECRET_KEY}",
//	      "pathStyle": true,
//	      "read": ["datasets", "shared/exports"],
//	      "write": ["results/map-runs"]
//	    }
//	  ]
//	}
//
// name and endpoint are required; region defaults to us-east-1 and
// pathStyle to true (bucket in the path, as self-hosted stores want).
// accessKeyId and secretAccessKey (and an optional sessionToken) are given
// together, or both left out for anonymous requests; each may be written
// "${NAME}" (or "$NAME", "env:NAME") to read it from the environment, and
// an unset variable is an error. read and write list what definitions may
// read and write: "bucket" for a whole bucket, "bucket/prefix" for the
// keys under the folder "prefix/". A bucket is served by one store in each
// direction. Definitions never name a store: a reader or writer naming a
// bucket is sent to the store that grants it, and anything not granted is
// refused before a request is sent. Unknown fields are refused.
//
// # Reading
//
// Resources: arn:aws:states:::s3:getObject (InputType JSON, JSONL, CSV,
// and MANIFEST: an Amazon S3 Inventory's manifest.json, whose CSV data
// files are read in turn, each row an object keyed by the manifest's
// fileSchema),
// arn:aws:states:::s3:listObjectsV2 (one item per object:
// {"Etag", "Key", "LastModified", "Size", "StorageClass"}, the ETag with
// its quotes and LastModified in Unix seconds, as the Developer Guide
// shows), and arn:aws:states:::http:invoke (a GET of
// Parameters.ApiEndpoint through Config.HTTP; sfn's extension). Objects are
// streamed: JSON with encoding/json's token API one element at a time,
// JSONL and CSV a line or record at a time; one item may not exceed
// MaxItemBytes (AWS's 8 MB). Keys ending in ".gz" are gunzipped (AWS
// decompresses GZIP and ZSTD by name; zstd is refused). MaxItems 0 reads
// every item, a negative one fails ("field MaxItems must be positive"),
// and values above 100,000,000 read every item. PARQUET, Athena manifests
// (ManifestType ATHENA_DATA) and listObjectsV2 with an InputType
// (Transformation LOAD_AND_FLATTEN) are refused with
// States.ItemReaderFailed.
//
// CSV follows the Developer Guide's rules and the recorded cases R4–R10:
// every value is a string, missing fields are "", extra fields are
// dropped, duplicate headers fail ("CSV headers cannot contain
// duplicates."), a line of spaces is a record, the final newline makes
// none.
//
// # Writing
//
// Write puts <Prefix>/<map run id>/SUCCEEDED_<n>.json, FAILED_<n>.json
// (failed, timed out, aborted) and PENDING_<n>.json (never started), each
// a JSON array of the children's descriptions (Transformation NONE:
// Cause, Error, ExecutionArn, Input, InputDetails, Name, Output,
// OutputDetails, RedriveCount, RedriveStatus, RedriveStatusReason,
// StartDate, StateMachineArn, Status, StopDate; input and output as JSON
// text) in item order, split past 5 GB, then manifest.json:
// {"DestinationBucket", "MapRunArn", "ResultFiles": {"FAILED",
// "PENDING", "SUCCEEDED": [{"Key", "Size"}]}}.
//
// # What AWS does not say, and what sfn chose
//
//   - CSV: empty lines are skipped (as most CSV readers do; AWS records
//     only that the final newline makes no item); a backslash before a
//     character other than a backslash, double quote or the delimiter is
//     dropped and the character kept; an unclosed quoted field fails the
//     reader; a FIRST_ROW header row over 10 KB fails it (AWS's documented
//     limit); CSVHeaderLocation defaults to FIRST_ROW.
//   - JSON: data after the top-level array, an empty object, and a
//     truncated array fail the reader; the error may come after the items
//     before it were given, since the object is streamed.
//   - listObjectsV2: StorageClass "STANDARD" when a store leaves it out;
//     $$.Map.Item.Source is "s3://bucket/prefix".
//   - Parameters sfn cannot honour (SSE keys, Range, Headers…) are refused,
//     not ignored; ExpectedBucketOwner is accepted and not checked.
//   - Result files: PENDING records hold only Input, InputDetails and
//     Status; a failed child's record has Error and Cause and no Output;
//     COMPACT and FLATTEN apply to succeeded children only (the docs: a
//     failed child's result is returned unchanged); with OutputType JSONL
//     the files keep the .json names the docs give; the manifest is compact
//     JSON.
//   - A Prefix ending in "/" does not double the slash.
//   - MANIFEST: the inventory's values are given as the CSV holds them
//     (S3 URL-encodes keys in inventories; they are not decoded), keyed in
//     fileSchema's order; the files' MD5 checksums are not checked;
//     $$.Map.Item.Source is the data file an item came from; every data
//     file must be readable under the server's grants, checked before the
//     first is requested.
package itemio
