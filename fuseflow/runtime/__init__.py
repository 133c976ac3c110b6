"""What generated workflow code imports: result storage, caching, option overrides.

Needs only the standard library; never imports the compiler or the CLI.
"""
