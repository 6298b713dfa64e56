"""Jobs: the one model every piece of work goes through."""
