"""The steps of a night: read inputs, call ``sma``, write the store and files. All I/O lives
here."""
