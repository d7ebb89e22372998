"""An example accord plugin: the ``echo:`` target and the ``keyword-judge`` judge."""
