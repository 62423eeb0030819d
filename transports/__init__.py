"""Built-in transports, one module each. A transport sends an `openaistream.Request` and
returns an `openaistream.Response` whose body chunks are yielded as they arrive."""
