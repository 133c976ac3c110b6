"""The fusec compiler: parse, check, lower to IR, generate targets."""
