"""The distribution's version, read by setuptools and sent in the User-Agent header."""

__version__ = "0.1.0"
