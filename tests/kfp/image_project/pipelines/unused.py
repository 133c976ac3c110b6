"""Not imported by train.fuse: left out of the image."""
