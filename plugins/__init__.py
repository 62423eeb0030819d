"""Built-in resource plugins, one module per OpenAI resource. Each registers its resource
class through the `register_resources` hook, exactly as a third-party plugin would; its
command-line commands live in `openaistream.plugins.commands`, which only the
`openaistream` command loads."""
