"""sockplay: a terminal playground for Linux sockets."""

__version__ = "0.1.0"
