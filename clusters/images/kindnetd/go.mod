module workload-conformance/kindnetd

go 1.24
