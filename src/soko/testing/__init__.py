"""Support for the project's test suite (a pytest plugin that isolates the instance)."""
