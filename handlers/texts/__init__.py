"""The text messages (短信) of each county's processes, one module per county."""
