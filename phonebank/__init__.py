"""phonebank: a command-line phone bank for volunteer-driven campaigns."""

__version__ = "0.1.0"
