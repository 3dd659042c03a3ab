"""One Router per resource. Routes validate, resolve the caller's scope and call one domain function."""
