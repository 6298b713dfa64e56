"""Helpers shared by the test suite: images, servers, plug-in pipelines."""
