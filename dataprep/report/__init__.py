"""Outputs of a build: data files, manifest, dataset card; atomic publication."""
