"""What the generators share: escaping text from a .fuse file, Python expressions of IR values, templates."""
