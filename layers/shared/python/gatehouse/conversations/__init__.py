"""Conversations: each contact's thread on each channel, the replies inbox, and members' one-off replies."""
