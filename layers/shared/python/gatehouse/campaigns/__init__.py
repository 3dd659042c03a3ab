"""Campaigns: what is sent to whom, through which senders, when; approved by a person before any send."""
