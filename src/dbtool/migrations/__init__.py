"""Migration files: discovery, naming, checksums, directives and splitting."""
