"""newsmon: news monitoring for arms-control analysts."""

__version__ = "0.1.0"
