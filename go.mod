module github.com/sfn-project/sfn

go 1.26.0

require (
	github.com/PaesslerAG/gval v1.0.0 // the expression language behind jsonpath filters ([?(...)])
	github.com/PaesslerAG/jsonpath v0.1.1 // JSONPath filters, behind dsl/jsonpath; reference paths use our own walker
	github.com/aws/aws-sdk-go-v2 v1.48.0 // the AWS API's SigV4 verification uses the SDK's own v4 signer (aws/signer/v4), not hand-written crypto
	github.com/aws/aws-sdk-go-v2/credentials v1.21.3 // tests only: static credentials for the real SDK client
	github.com/aws/aws-sdk-go-v2/service/s3 v1.115.0 // Distributed Map's ItemReader and ResultWriter against S3-compatible stores (interpreter/itemio)
	github.com/aws/aws-sdk-go-v2/service/sfn v1.41.2 // tests only: the real Step Functions client judges the AWS API
	github.com/aws/smithy-go v1.28.9 // tests only: the SDK's error types and middleware (host prefix off)
	github.com/getkin/kin-openapi v0.153.0 // tests only: validates openapi.yaml and real responses against it
	github.com/go-chi/chi/v5 v5.5.0 // HTTP router: small, net/http middleware
	github.com/google/go-cmp v0.7.0 // tests: readable diffs of values
	github.com/google/uuid v1.6.0 // execution names and States.UUID (random v4)
	github.com/johannesboyne/gofakes3 v1.2.0 // tests only: a real S3-protocol server in process for itemio (MinIO's server is AGPL)
	github.com/prometheus/client_golang v1.25.0 // /metrics
	github.com/redis/go-redis/v9 v9.23.0 // the production store: Lua scripts, pub/sub, Cluster
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // JSON Schema 2020-12 validation of definitions, typed errors with locations
	github.com/spf13/cobra v1.10.2 // the sfn command: subcommands, flags, shell completion
	go.yaml.in/yaml/v3 v3.0.6 // YAML definitions with node positions (the maintained yaml.v3)
	golang.org/x/text v0.42.0 // JSONata's $uppercase/$lowercase: full Unicode case mapping ("ß" to "SS", final sigma) as JavaScript does it
)

require (
	github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream v1.7.27 // indirect
	github.com/aws/aws-sdk-go-v2/internal/configsources v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/endpoints/v2 v2.8.12 // indirect
	github.com/aws/aws-sdk-go-v2/internal/v4a v1.5.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/accept-encoding v1.13.25 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/checksum v1.11.13 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/presigned-url v1.14.12 // indirect
	github.com/aws/aws-sdk-go-v2/service/internal/s3shared v1.20.12 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-openapi/jsonpointer v0.22.5 // indirect
	github.com/go-openapi/swag/jsonname v0.25.5 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/ryszard/goskiplist v0.0.0-20150312221310-2dfbae5fcf46 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	go.shabbyrobe.org/gocovmerge v0.0.0-20230507111327-fa4f82cfbf4d // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/tools v0.49.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
