"""Generated gRPC code for monitor.v1 (run `make proto`)."""
