"""The command line of the built-in resource plugins, one module per resource.

Only the `openaistream` command loads these: each resource plugin's `register_commands`
hook imports its module here and adds the `command()` it builds, so that importing the
library or building a client never loads click. Each module knows the CLI helpers of
`openaistream.cli` and its own resource module, nothing else.
"""
