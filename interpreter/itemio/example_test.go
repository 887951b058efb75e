package itemio_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter/itemio"
)

// A CSV object read from an S3-compatible store (here gofakes3, in
// process) as a Distributed Map's items: every value a string, missing
// fields "", the header row not counted by MaxItems.
func ExampleIO_Read() {
	srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer srv.Close()
	setup := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: aws.AnonymousCredentials{}})
	setup.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("datasets")})
	setup.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("datasets"), Key: aws.String("in/ratings.csv"),
		Body: bytes.NewReader([]byte("userId,movieId,rating\n1,307,3.5\n1,481\n2,1091,1.5\n"))})

	cfg, err := itemio.ParseConfig([]byte(`{"objectStores": [{"name": "local", "endpoint": "`+srv.URL+`", "read": ["datasets/in"]}]}`), nil)
	if err != nil {
		panic(err)
	}
	x, err := itemio.New(cfg)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	items, err := x.Read(ctx, itemio.ReadRequest{
		Resource:  "arn:aws:states:::s3:getObject",
		Params:    value.MustDecode(`{"Bucket": "datasets", "Key": "in/ratings.csv"}`),
		InputType: "CSV", CSVHeaderLocation: "FIRST_ROW", MaxItems: 2,
	})
	if err != nil {
		panic(err)
	}
	defer items.Close()
	for {
		item, ok, err := items.Next(ctx)
		if err != nil {
			panic(err)
		}
		if !ok {
			break
		}
		fmt.Println(items.Source(), value.MarshalString(item))
	}
	// Output:
	// s3://datasets/in/ratings.csv {"userId":"1","movieId":"307","rating":"3.5"}
	// s3://datasets/in/ratings.csv {"userId":"1","movieId":"481","rating":""}
}
