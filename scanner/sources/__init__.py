"""Sources: enumerate what to scan (files, git objects, images, log streams)."""
