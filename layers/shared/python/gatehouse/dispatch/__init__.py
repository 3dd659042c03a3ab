"""The dispatch pipeline: campaign runs and the gates every attempt passes, in order (DESIGN.md §6)."""
