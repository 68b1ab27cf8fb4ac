"""Qt models over the browse services: they hold ids and fetch the rows they show, a page at a time."""
