"""Scheduled jobs, each a function of a clock, run by the scheduler function on EventBridge rules."""
