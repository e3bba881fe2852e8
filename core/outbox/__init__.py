"""Transactional outbox: notifications are written with the state change, delivered later."""
