module discoverable-service-go

go 1.21

require github.com/pulumi/pulumi/sdk/v3 v3.248.0
