"""Built-in resource plugins, one module per OpenAI resource. Each registers its resource
class through the ``register_resources`` hook, exactly as a third-party plugin would."""
